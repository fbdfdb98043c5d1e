# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: The record store: the only file that talks to the database (SQLAlchemy Core).

Tables:

- ``block_device_mapping``: Nova's table, every column, Nova's soft delete (``deleted`` is 0
  while the row lives and the row's ``id`` once deleted, with ``deleted_at``);
- ``volumes`` and ``volume_attachment``: Cinder-style volume and attachment records (Cinder
  keeps ``readonly`` in the volume's admin metadata; here it is a column);
- ``virtblock_locks``: one row per lock name, taken with ``SELECT ... FOR UPDATE``;
- ``virtblock_schema``: the schema version, so later releases can migrate a store.

A SQLite file by default; PostgreSQL or MySQL by URL. Every change runs in one transaction
through ``Store.run``: on SQLite the transaction starts with ``BEGIN IMMEDIATE`` (one writer
at a time, others wait on the busy timeout); on a server the caller's lock row is locked
``FOR UPDATE`` so that two reservations for one instance never pick the same device name.
Lock waits that time out are retried. ``dry_run`` rolls the transaction back (check mode).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import random
import time
import traceback

try:
    import sqlalchemy as sa
    from sqlalchemy import event, exc
    HAS_SQLALCHEMY = True
    SQLALCHEMY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the modules
    HAS_SQLALCHEMY = False
    SQLALCHEMY_IMPORT_ERROR = traceback.format_exc()

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ServiceUnavailable, StoreError)

SCHEMA_VERSION = 1
# version -> function(connection) bringing a store from version-1 to version.
MIGRATIONS = {}

DEFAULT_PATH = "/var/lib/virtblock/records.sqlite"

# The options every module that uses the store takes (documented in the store doc fragment).
STORE_ARGUMENT_SPEC = dict(
    db_url=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_DB_URL"])),
    db_password=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_DB_PASSWORD"])),
    db_path=dict(type="path", default=DEFAULT_PATH),
    db_timeout=dict(type="int", default=30),
)

_RETRIES = 40

if HAS_SQLALCHEMY:
    metadata = sa.MetaData()

    def _cinder_base_columns():
        """Cinder's CinderBase columns: timestamps and a boolean soft delete."""
        return [sa.Column("created_at", sa.DateTime), sa.Column("updated_at", sa.DateTime),
                sa.Column("deleted_at", sa.DateTime),
                sa.Column("deleted", sa.Boolean, default=False)]

    block_device_mapping = sa.Table(
        "block_device_mapping", metadata,
        sa.Column("created_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("deleted_at", sa.DateTime),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_name", sa.String(255)),
        sa.Column("delete_on_termination", sa.Boolean),
        sa.Column("snapshot_id", sa.String(36), index=True),
        sa.Column("volume_id", sa.String(36), index=True),
        sa.Column("volume_size", sa.Integer),
        sa.Column("no_device", sa.Boolean),
        sa.Column("connection_info", sa.Text),
        sa.Column("instance_uuid", sa.String(36), index=True),
        sa.Column("deleted", sa.Integer, default=0),
        sa.Column("source_type", sa.String(255)),
        sa.Column("destination_type", sa.String(255)),
        sa.Column("guest_format", sa.String(255)),
        sa.Column("device_type", sa.String(255)),
        sa.Column("disk_bus", sa.String(255)),
        sa.Column("boot_index", sa.Integer),
        sa.Column("image_id", sa.String(36)),
        sa.Column("tag", sa.String(255)),
        sa.Column("attachment_id", sa.String(36)),
        sa.Column("uuid", sa.String(36), unique=True),
        sa.Column("backup_id", sa.String(36)),
        sa.Column("volume_type", sa.String(255)),
        # Not in Nova: a second guard, under the lock, against two live rows with one name.
        sa.UniqueConstraint("instance_uuid", "device_name", "deleted",
                            name="uniq_bdm0instance_uuid0device_name0deleted"),
    )

    volumes = sa.Table(
        "volumes", metadata,
        *_cinder_base_columns(),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("display_name", sa.String(255)),
        sa.Column("size", sa.Integer),
        sa.Column("status", sa.String(255)),
        sa.Column("attach_status", sa.String(255)),
        sa.Column("multiattach", sa.Boolean, default=False),
        sa.Column("readonly", sa.Boolean, default=False),
        sa.Column("bootable", sa.Boolean, default=False),
        sa.Column("volume_type_id", sa.String(36)),
        sa.Column("migration_status", sa.String(255)),
    )

    volume_attachment = sa.Table(
        "volume_attachment", metadata,
        *_cinder_base_columns(),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("volume_id", sa.String(36), index=True),
        sa.Column("attached_host", sa.String(255)),
        sa.Column("instance_uuid", sa.String(36)),
        sa.Column("mountpoint", sa.String(255)),
        sa.Column("attach_time", sa.DateTime),
        sa.Column("detach_time", sa.DateTime),
        sa.Column("attach_mode", sa.String(36)),
        sa.Column("attach_status", sa.String(255)),
    )

    locks = sa.Table(
        "virtblock_locks", metadata,
        sa.Column("name", sa.String(80), primary_key=True),
    )

    schema = sa.Table(
        "virtblock_schema", metadata,
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def plain(row):
    """A row as a JSON-friendly dict (datetimes as ISO text)."""
    out = {}
    for key, value in row._mapping.items():
        out[key] = value.isoformat() if isinstance(value, datetime.datetime) else value
    return out


def _describe(url):
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # pylint: disable=broad-except
        return "the given database URL"


def _first_line(err):
    orig = getattr(err, "orig", None) or err
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def _retryable(err):
    text = str(getattr(err, "orig", err)).lower()
    return ("database is locked" in text or "deadlock" in text
            or "could not serialize" in text or "lock wait timeout" in text
            or "already exists" in text or "duplicate key value violates unique constraint "
            "\"pg_type_typname_nsp_index\"" in text)


class Tx(object):
    """The queries, over one open transaction."""

    def __init__(self, conn):
        self.conn = conn

    # -- block_device_mapping
    def bdm_rows(self, instance_uuid=None, volume_id=None, include_deleted=False):
        query = sa.select(block_device_mapping)
        if instance_uuid:
            query = query.where(block_device_mapping.c.instance_uuid == instance_uuid)
        if volume_id:
            query = query.where(block_device_mapping.c.volume_id == volume_id)
        if not include_deleted:
            query = query.where(block_device_mapping.c.deleted == 0)
        return [plain(row) for row in self.conn.execute(query.order_by(block_device_mapping.c.id))]

    def bdm_insert(self, values):
        values = dict(values, created_at=now(), deleted=0)
        result = self.conn.execute(sa.insert(block_device_mapping).values(**values))
        return self.bdm_get(result.inserted_primary_key[0])

    def bdm_get(self, bdm_id):
        row = self.conn.execute(sa.select(block_device_mapping).where(
            block_device_mapping.c.id == bdm_id)).first()
        return plain(row) if row is not None else None

    def bdm_update(self, bdm_id, values):
        self.conn.execute(sa.update(block_device_mapping).where(
            block_device_mapping.c.id == bdm_id).values(updated_at=now(), **values))
        return self.bdm_get(bdm_id)

    def bdm_soft_delete(self, bdm_id):
        """Nova's soft delete: ``deleted`` = id, ``deleted_at`` set."""
        stamp = now()
        self.conn.execute(sa.update(block_device_mapping).where(
            block_device_mapping.c.id == bdm_id).values(
                deleted=block_device_mapping.c.id, deleted_at=stamp, updated_at=stamp))
        return self.bdm_get(bdm_id)

    # -- volumes and attachments
    def volume_get(self, volume_id):
        row = self.conn.execute(sa.select(volumes).where(
            volumes.c.id == volume_id, volumes.c.deleted == sa.false())).first()
        return plain(row) if row is not None else None

    def volume_insert(self, values):
        self.conn.execute(sa.insert(volumes).values(created_at=now(), deleted=False, **values))
        return self.volume_get(values["id"])

    def volume_update(self, volume_id, values):
        self.conn.execute(sa.update(volumes).where(volumes.c.id == volume_id).values(
            updated_at=now(), **values))
        return self.volume_get(volume_id)

    def volume_delete(self, volume_id):
        stamp = now()
        self.conn.execute(sa.update(volumes).where(volumes.c.id == volume_id).values(
            deleted=True, deleted_at=stamp, updated_at=stamp, status="deleted"))

    def volumes_all(self):
        """Every live volume row (the audit reads the whole store once)."""
        query = sa.select(volumes).where(volumes.c.deleted == sa.false()).order_by(volumes.c.id)
        return [plain(row) for row in self.conn.execute(query)]

    def attachments_all(self):
        query = sa.select(volume_attachment).where(
            volume_attachment.c.deleted == sa.false()).order_by(volume_attachment.c.created_at)
        return [plain(row) for row in self.conn.execute(query)]

    def attachments(self, volume_id):
        query = sa.select(volume_attachment).where(
            volume_attachment.c.volume_id == volume_id,
            volume_attachment.c.deleted == sa.false()).order_by(volume_attachment.c.created_at)
        return [plain(row) for row in self.conn.execute(query)]

    def attachment_insert(self, values):
        self.conn.execute(sa.insert(volume_attachment).values(
            created_at=now(), deleted=False, **values))

    def attachment_update(self, attachment_id, values):
        self.conn.execute(sa.update(volume_attachment).where(
            volume_attachment.c.id == attachment_id).values(updated_at=now(), **values))

    def attachment_delete(self, attachment_id):
        stamp = now()
        self.conn.execute(sa.update(volume_attachment).where(
            volume_attachment.c.id == attachment_id).values(
                deleted=True, deleted_at=stamp, updated_at=stamp, detach_time=stamp,
                attach_status="detached"))


class Store(object):
    """``Store(url=None, path=DEFAULT_PATH, password=None)``; ``run(fn, lock=, dry_run=)``."""

    def __init__(self, url=None, path=None, password=None, timeout=30):
        if not HAS_SQLALCHEMY:
            raise StoreError(missing_required_lib("SQLAlchemy", reason="for the record store"),
                             exception=SQLALCHEMY_IMPORT_ERROR)
        self.timeout = timeout
        self.path = None
        if url:
            try:
                parsed = sa.engine.make_url(url)
            except exc.ArgumentError:
                raise StoreError("db_url is not a database URL (dialect+driver://user@host/name)")
            if password:
                parsed = parsed.set(password=password)
            if parsed.get_backend_name() == "sqlite":
                self.path = parsed.database
        else:
            self.path = path or DEFAULT_PATH
            parsed = sa.engine.URL.create("sqlite", database=self.path)
        self.url = parsed
        self.description = _describe(parsed)
        # mysql:// and mariadb:// are one server family to the store.
        self.backend = {"mariadb": "mysql"}.get(parsed.get_backend_name(),
                                                parsed.get_backend_name())
        self._engine = None

    # -- engine
    def _make_engine(self, url):
        kwargs = {"poolclass": sa.pool.NullPool}
        if self.backend == "sqlite":
            kwargs["connect_args"] = {"timeout": self.timeout}
        elif self.backend == "postgresql":
            kwargs["connect_args"] = {"connect_timeout": min(self.timeout, 10)}
        elif self.backend == "mysql":
            kwargs["connect_args"] = {"connect_timeout": min(self.timeout, 10)}
            # InnoDB's REPEATABLE READ would read the device names in use from the snapshot
            # taken before the lock row was won, and so miss a name another transaction
            # just committed; READ COMMITTED (PostgreSQL's default, and what Nova runs
            # MySQL with in practice through oslo.db) reads them after the lock.
            kwargs["isolation_level"] = "READ COMMITTED"
        try:
            engine = sa.create_engine(url, **kwargs)
        except (ImportError, exc.NoSuchModuleError) as err:
            raise StoreError("no database driver for %s: %s" % (self.description, err))
        if self.backend == "sqlite":
            @event.listens_for(engine, "connect")
            def _connect(dbapi_connection, _record):
                # Let SQLAlchemy's "begin" below issue BEGIN itself.
                dbapi_connection.isolation_level = None

            @event.listens_for(engine, "begin")
            def _begin(conn):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        return engine

    def engine(self, dry_run=False):
        if self._engine is None:
            url = self.url
            if self.backend == "sqlite" and self.path and self.path != ":memory:":
                directory = os.path.dirname(os.path.abspath(self.path))
                if not os.path.exists(self.path) and dry_run:
                    # Check mode writes nothing, not even an empty store file: an empty
                    # store in memory answers the same.
                    url = sa.engine.URL.create("sqlite", database=":memory:")
                elif not os.path.isdir(directory):
                    os.makedirs(directory, 0o700)
            self._engine = self._make_engine(url)
        return self._engine

    # -- schema
    def _ensure_schema(self, conn):
        if not sa.inspect(conn).has_table("virtblock_schema"):
            if self.backend == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7669727462)"))
            metadata.create_all(conn, checkfirst=True)
        row = conn.execute(sa.select(schema.c.version).where(schema.c.name == "records")).first()
        if row is None:
            insert = sa.insert(schema).values(name="records", version=SCHEMA_VERSION)
            if self.backend == "mysql":
                # MySQL commits DDL at once, so no transaction orders two first runs that
                # both created the tables: the later one's version row is a no-op.
                insert = insert.prefix_with("IGNORE")
            conn.execute(insert)
            return
        version = row[0]
        if version > SCHEMA_VERSION:
            raise StoreError("the record store %s has schema version %d, newer than this "
                             "collection knows (%d): upgrade the collection"
                             % (self.description, version, SCHEMA_VERSION))
        while version < SCHEMA_VERSION:
            version += 1
            MIGRATIONS[version](conn)
            conn.execute(sa.update(schema).where(schema.c.name == "records").values(
                version=version))

    def _lock(self, conn, name):
        if self.backend == "sqlite":
            return   # BEGIN IMMEDIATE already holds the database's one write lock
        if self.backend == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            conn.execute(pg_insert(locks).values(name=name).on_conflict_do_nothing())
        else:
            conn.execute(sa.insert(locks).values(name=name).prefix_with("IGNORE"))
        conn.execute(sa.select(locks.c.name).where(locks.c.name == name).with_for_update())

    # -- the one entry point
    def run(self, func, lock=None, dry_run=False):
        """Run ``func(Tx)`` in one transaction holding *lock*; roll back when *dry_run*."""
        engine = self.engine(dry_run)
        attempt = 0
        while True:
            attempt += 1
            try:
                try:
                    conn = engine.connect()
                except exc.OperationalError as err:
                    if self.backend == "sqlite" and not _retryable(err):
                        raise StoreError("cannot open the record store %s: %s"
                                         % (self.description, _first_line(err)))
                    if self.backend != "sqlite":
                        raise ServiceUnavailable("cannot connect to the record store database "
                                                 "%s: %s" % (self.description, _first_line(err)))
                    raise
                with conn:
                    trans = conn.begin()
                    try:
                        self._ensure_schema(conn)
                        if lock:
                            self._lock(conn, lock)
                        result = func(Tx(conn))
                    except BaseException:
                        trans.rollback()
                        raise
                    if dry_run:
                        trans.rollback()
                    else:
                        trans.commit()
                    return result
            except exc.DBAPIError as err:
                if _retryable(err) and attempt < _RETRIES:
                    time.sleep(min(0.05 * attempt, 1.0) * (0.5 + random.random()))
                    continue
                if "file is not a database" in str(err.orig):
                    raise StoreError("the record store %s is not a database (%s)"
                                     % (self.description, _first_line(err)))
                raise StoreError("record store %s: %s" % (self.description, _first_line(err)))
