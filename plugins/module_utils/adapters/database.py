# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the record store, the only file that talks to the database.

Tables:

- ``block_device_mapping``: Nova's table, every column, Nova's soft delete (``deleted`` is 0
  while the row lives and the row's ``id`` once deleted, with ``deleted_at``);
- ``volumes`` and ``volume_attachment``: Cinder-style volume and attachment records (Cinder
  keeps ``readonly`` in the volume's admin metadata; here it is a column);
- ``snapshots``: Cinder's snapshot records (its columns a snapshot of a volume needs:
  status, progress, volume_size, names, provider_location; schema version 2);
- ``virtblock_locks``: one row per lock name, taken with ``SELECT ... FOR UPDATE``;
- ``virtblock_schema``: the schema version, so later releases can migrate a store.

A SQLite file by default; PostgreSQL or MySQL by URL. ONE set of SQL statements (below,
``:name`` parameters) serves all three: on SQLite through the standard library's
``sqlite3`` (a module run pays no database toolkit's import: SQLAlchemy costs ~0.4 s a
task), on a server through SQLAlchemy's ``text()``, imported only then. The tables are
described once, as SQLAlchemy metadata (``server_metadata``); the SQLite DDL below is
what that metadata creates on SQLite (a unit test keeps the two equal).

Every change runs in one transaction through ``Store.run``: on SQLite the transaction
starts with ``BEGIN IMMEDIATE`` (one writer at a time, others wait on the busy timeout);
on a server the caller's lock row is locked ``FOR UPDATE`` so that two reservations for
one instance never pick the same device name. Lock waits that time out are retried.
``dry_run`` rolls the transaction back (check mode).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import random
import sqlite3
import time
import traceback

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ServiceUnavailable, StoreError)

SCHEMA_VERSION = 1
# version -> function(Tx) bringing a store from version-1 to version.
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

# Column types the rows are read back in (SQLite and MySQL hand booleans back as 0/1 and
# SQLite datetimes as text).
BOOLEAN_COLUMNS = {
    "block_device_mapping": ("delete_on_termination", "no_device"),
    "volumes": ("deleted", "multiattach", "readonly", "bootable"),
    "snapshots": ("deleted",),
    "volume_attachment": ("deleted",),
}
DATETIME_COLUMNS = ("created_at", "updated_at", "deleted_at", "attach_time", "detach_time")

# What SQLAlchemy's metadata (server_metadata) creates on SQLite, IF NOT EXISTS added.
SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS block_device_mapping (
\tcreated_at DATETIME, updated_at DATETIME, deleted_at DATETIME, id INTEGER NOT NULL,
\tdevice_name VARCHAR(255), delete_on_termination BOOLEAN, snapshot_id VARCHAR(36),
\tvolume_id VARCHAR(36), volume_size INTEGER, no_device BOOLEAN, connection_info TEXT,
\tinstance_uuid VARCHAR(36), deleted INTEGER, source_type VARCHAR(255),
\tdestination_type VARCHAR(255), guest_format VARCHAR(255), device_type VARCHAR(255),
\tdisk_bus VARCHAR(255), boot_index INTEGER, image_id VARCHAR(36), tag VARCHAR(255),
\tattachment_id VARCHAR(36), uuid VARCHAR(36), backup_id VARCHAR(36), volume_type VARCHAR(255),
\tPRIMARY KEY (id),
\tCONSTRAINT uniq_bdm0instance_uuid0device_name0deleted UNIQUE (instance_uuid, device_name, deleted),
\tUNIQUE (uuid))""",
    "CREATE INDEX IF NOT EXISTS ix_block_device_mapping_instance_uuid "
    "ON block_device_mapping (instance_uuid)",
    "CREATE INDEX IF NOT EXISTS ix_block_device_mapping_volume_id ON block_device_mapping (volume_id)",
    "CREATE INDEX IF NOT EXISTS ix_block_device_mapping_snapshot_id "
    "ON block_device_mapping (snapshot_id)",
    """CREATE TABLE IF NOT EXISTS volumes (
\tcreated_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
\tid VARCHAR(36) NOT NULL, display_name VARCHAR(255), size INTEGER, status VARCHAR(255),
\tattach_status VARCHAR(255), multiattach BOOLEAN, readonly BOOLEAN, bootable BOOLEAN,
\tvolume_type_id VARCHAR(36), migration_status VARCHAR(255),
\tPRIMARY KEY (id))""",
    """CREATE TABLE IF NOT EXISTS volume_attachment (
\tcreated_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
\tid VARCHAR(36) NOT NULL, volume_id VARCHAR(36), attached_host VARCHAR(255),
\tinstance_uuid VARCHAR(36), mountpoint VARCHAR(255), attach_time DATETIME,
\tdetach_time DATETIME, attach_mode VARCHAR(36), attach_status VARCHAR(255),
\tPRIMARY KEY (id))""",
    "CREATE INDEX IF NOT EXISTS ix_volume_attachment_volume_id ON volume_attachment (volume_id)",
    """CREATE TABLE IF NOT EXISTS snapshots (
\tcreated_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
\tid VARCHAR(36) NOT NULL, volume_id VARCHAR(36), status VARCHAR(255), progress VARCHAR(255),
\tvolume_size INTEGER, display_name VARCHAR(255), display_description VARCHAR(255),
\tprovider_location VARCHAR(255),
\tPRIMARY KEY (id))""",
    "CREATE INDEX IF NOT EXISTS ix_snapshots_volume_id ON snapshots (volume_id)",
    "CREATE TABLE IF NOT EXISTS virtblock_locks (\n\tname VARCHAR(80) NOT NULL, PRIMARY KEY (name))",
    "CREATE TABLE IF NOT EXISTS virtblock_schema (\n\tname VARCHAR(40) NOT NULL, "
    "version INTEGER NOT NULL, PRIMARY KEY (name))",
)

# Taking a lock row on a server (SQLite's BEGIN IMMEDIATE already holds its one write lock).
LOCK_INSERT = {
    "postgresql": "INSERT INTO virtblock_locks (name) VALUES (:name) ON CONFLICT DO NOTHING",
    "mysql": "INSERT IGNORE INTO virtblock_locks (name) VALUES (:name)",
}
LOCK_SELECT = "SELECT name FROM virtblock_locks WHERE name = :name FOR UPDATE"


def server_metadata():
    """The tables as SQLAlchemy metadata: created by it on PostgreSQL and MySQL."""
    import sqlalchemy as sa
    metadata = sa.MetaData()

    def cinder_base_columns():
        """Cinder's CinderBase columns: timestamps and a boolean soft delete."""
        return [sa.Column("created_at", sa.DateTime), sa.Column("updated_at", sa.DateTime),
                sa.Column("deleted_at", sa.DateTime),
                sa.Column("deleted", sa.Boolean, default=False)]

    sa.Table(
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
    sa.Table(
        "volumes", metadata,
        *cinder_base_columns(),
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
    sa.Table(
        "volume_attachment", metadata,
        *cinder_base_columns(),
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
    sa.Table(
        "snapshots", metadata,
        *cinder_base_columns(),
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("volume_id", sa.String(36), index=True),
        sa.Column("status", sa.String(255)),
        sa.Column("progress", sa.String(255)),
        sa.Column("volume_size", sa.Integer),
        sa.Column("display_name", sa.String(255)),
        sa.Column("display_description", sa.String(255)),
        sa.Column("provider_location", sa.String(255)),
    )
    sa.Table("virtblock_locks", metadata, sa.Column("name", sa.String(80), primary_key=True))
    sa.Table("virtblock_schema", metadata,
             sa.Column("name", sa.String(40), primary_key=True),
             sa.Column("version", sa.Integer, nullable=False))
    return metadata


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)


def plain(table, mapping):
    """A row as a JSON-friendly dict: datetimes as ISO text, booleans as booleans."""
    out = dict(mapping)
    for key in DATETIME_COLUMNS:
        value = out.get(key)
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        if isinstance(value, datetime.datetime):
            out[key] = value.isoformat()
    for key in BOOLEAN_COLUMNS.get(table, ()):
        if out.get(key) is not None:
            out[key] = bool(out[key])
    return out


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


def _sqlite_value(value):
    # SQLAlchemy's SQLite DateTime text, so stores written by either read the same.
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


class _Result(object):
    """What ``exec_driver_sql`` returns on SQLite: enough of SQLAlchemy's result."""

    def __init__(self, cursor):
        self.rows = cursor.fetchall() if cursor.description else []

    def scalar(self):
        return self.rows[0][0] if self.rows else None

    def first(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class SqliteConnection(object):
    """One sqlite3 connection in autocommit mode: ``BEGIN IMMEDIATE`` is ours to issue."""

    def __init__(self, path, timeout):
        self.raw = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        self.raw.row_factory = sqlite3.Row

    def rows(self, sql, params):
        cursor = self.raw.execute(sql, dict((k, _sqlite_value(v)) for k, v in params.items()))
        return [dict(row) for row in cursor.fetchall()]

    def write(self, sql, params):
        self.raw.execute(sql, dict((k, _sqlite_value(v)) for k, v in params.items()))

    def exec_driver_sql(self, sql, params=()):
        return _Result(self.raw.execute(sql, params))

    def has_schema(self):
        return self.raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'virtblock_schema'").fetchone() is not None

    def create_schema(self, backend):
        for statement in SQLITE_SCHEMA:
            self.raw.execute(statement)

    def begin(self):
        self.raw.execute("BEGIN IMMEDIATE")

    def finish(self, commit):
        if self.raw.in_transaction:   # SQLite ends some failed transactions itself
            self.raw.execute("COMMIT" if commit else "ROLLBACK")

    def close(self):
        self.raw.close()


class ServerConnection(object):
    """A SQLAlchemy connection to PostgreSQL or MySQL, running the same SQL text."""

    def __init__(self, conn):
        import sqlalchemy as sa
        self.sa = sa
        self.conn = conn
        self.trans = None

    def rows(self, sql, params):
        return [dict(row._mapping) for row in self.conn.execute(self.sa.text(sql), params)]

    def write(self, sql, params):
        self.conn.execute(self.sa.text(sql), params)

    def exec_driver_sql(self, sql, params=()):
        return self.conn.exec_driver_sql(sql, params) if params else self.conn.exec_driver_sql(sql)

    def has_schema(self):
        return self.sa.inspect(self.conn).has_table("virtblock_schema")

    def create_schema(self, backend):
        if backend == "postgresql":
            self.conn.execute(self.sa.text("SELECT pg_advisory_xact_lock(7669727462)"))
        server_metadata().create_all(self.conn, checkfirst=True)

    def begin(self):
        self.trans = self.conn.begin()

    def finish(self, commit):
        if commit:
            self.trans.commit()
        else:
            self.trans.rollback()

    def close(self):
        self.conn.close()


def _columns(values):
    return ", ".join(sorted(values)), ", ".join(":" + key for key in sorted(values))


def _assignments(values):
    return ", ".join("%s = :%s" % (key, key) for key in sorted(values))


class Tx(object):
    """The queries, over one open transaction (``conn``: a Sqlite/ServerConnection)."""

    def __init__(self, conn):
        self.conn = conn

    def _rows(self, table, sql, **params):
        return [plain(table, row) for row in self.conn.rows(sql, params)]

    def _one(self, table, sql, **params):
        found = self._rows(table, sql, **params)
        return found[0] if found else None

    def _insert(self, table, values):
        names, places = _columns(values)
        self.conn.write("INSERT INTO %s (%s) VALUES (%s)" % (table, names, places), values)

    def _update(self, table, key, key_value, values):
        params = dict(values, key_value_=key_value)
        self.conn.write("UPDATE %s SET %s WHERE %s = :key_value_"
                        % (table, _assignments(values), key), params)

    # -- savepoints (a batch's volumes, each rolled back alone: drivers/records.in_savepoint)
    def savepoint(self, name):
        self.conn.write("SAVEPOINT %s" % name, {})

    def rollback_to(self, name):
        self.conn.write("ROLLBACK TO SAVEPOINT %s" % name, {})

    def release(self, name):
        self.conn.write("RELEASE SAVEPOINT %s" % name, {})

    # -- block_device_mapping
    def bdm_rows(self, instance_uuid=None, volume_id=None, include_deleted=False):
        where, params = [], {}
        if instance_uuid:
            where.append("instance_uuid = :instance_uuid")
            params["instance_uuid"] = instance_uuid
        if volume_id:
            where.append("volume_id = :volume_id")
            params["volume_id"] = volume_id
        if not include_deleted:
            where.append("deleted = 0")
        return self._rows("block_device_mapping", "SELECT * FROM block_device_mapping%s ORDER BY id"
                          % ((" WHERE " + " AND ".join(where)) if where else ""), **params)

    def bdm_insert(self, values):
        """A new row; ``values`` carries its ``uuid`` (read back by it, on every backend)."""
        self._insert("block_device_mapping", dict(values, created_at=now(), deleted=0))
        return self._one("block_device_mapping",
                         "SELECT * FROM block_device_mapping WHERE uuid = :uuid", uuid=values["uuid"])

    def bdm_get(self, bdm_id):
        return self._one("block_device_mapping", "SELECT * FROM block_device_mapping WHERE id = :id",
                         id=bdm_id)

    def bdm_update(self, bdm_id, values):
        self._update("block_device_mapping", "id", bdm_id, dict(values, updated_at=now()))
        return self.bdm_get(bdm_id)

    def bdm_soft_delete(self, bdm_id):
        """Nova's soft delete: ``deleted`` = id, ``deleted_at`` set."""
        stamp = now()
        self.conn.write("UPDATE block_device_mapping SET deleted = id, deleted_at = :stamp, "
                        "updated_at = :stamp WHERE id = :id", dict(stamp=stamp, id=bdm_id))
        return self.bdm_get(bdm_id)

    # -- volumes and attachments
    def volume_get(self, volume_id):
        return self._one("volumes", "SELECT * FROM volumes WHERE id = :id AND deleted = false",
                         id=volume_id)

    def volume_insert(self, values):
        self._insert("volumes", dict(values, created_at=now(), deleted=False))
        return self.volume_get(values["id"])

    def volume_revive(self, volume_id, values):
        """Make the soft-deleted row of *volume_id* the new volume *values* (which has no id
        of its own); False when there is no such row."""
        if self._one("volumes", "SELECT * FROM volumes WHERE id = :id AND deleted = true",
                     id=volume_id) is None:
            return False
        fresh = dict(display_name=None, size=None, multiattach=False, readonly=False, bootable=False,
                     volume_type_id=None, migration_status=None)
        fresh.update(values)
        fresh.pop("id", None)
        stamp = now()
        self._update("volumes", "id", volume_id, dict(fresh, deleted=False, deleted_at=None,
                                                      created_at=stamp, updated_at=stamp))
        return True

    def volume_update(self, volume_id, values):
        self._update("volumes", "id", volume_id, dict(values, updated_at=now()))
        return self.volume_get(volume_id)

    def volume_delete(self, volume_id):
        self._soft_delete("volumes", volume_id, now(), status="deleted")

    def volumes_all(self):
        """Every live volume row (the audit reads the whole store once)."""
        return self._rows("volumes", "SELECT * FROM volumes WHERE deleted = false ORDER BY id")

    def attachments_all(self):
        return self._rows("volume_attachment", "SELECT * FROM volume_attachment WHERE "
                          "deleted = false ORDER BY created_at")

    def attachments(self, volume_id):
        return self._rows("volume_attachment", "SELECT * FROM volume_attachment WHERE "
                          "volume_id = :volume_id AND deleted = false ORDER BY created_at",
                          volume_id=volume_id)

    def attachment_insert(self, values):
        self._insert("volume_attachment", dict(values, created_at=now(), deleted=False))

    def attachment_update(self, attachment_id, values):
        self._update("volume_attachment", "id", attachment_id, dict(values, updated_at=now()))

    def attachment_delete(self, attachment_id):
        stamp = now()
        self._soft_delete("volume_attachment", attachment_id, stamp, detach_time=stamp,
                          attach_status="detached")

    # -- snapshots (Cinder's ``snapshots`` table)
    def snapshot_get(self, snapshot_id):
        return self._one("snapshots", "SELECT * FROM snapshots WHERE id = :id AND deleted = false",
                         id=snapshot_id)

    def snapshots(self, volume_id):
        return self._rows("snapshots", "SELECT * FROM snapshots WHERE volume_id = :volume_id "
                          "AND deleted = false ORDER BY created_at", volume_id=volume_id)

    def snapshot_insert(self, values):
        self._insert("snapshots", dict(values, created_at=now(), deleted=False))
        return self.snapshot_get(values["id"])

    def snapshot_update(self, snapshot_id, values):
        self._update("snapshots", "id", snapshot_id, dict(values, updated_at=now()))
        return self.snapshot_get(snapshot_id)

    def snapshot_delete(self, snapshot_id):
        self._soft_delete("snapshots", snapshot_id, now(), status="deleted")

    def _soft_delete(self, table, row_id, stamp, **extra):
        """Cinder's soft delete: the row stays, marked deleted at *stamp*."""
        self._update(table, "id", row_id, dict(extra, deleted=True, deleted_at=stamp, updated_at=stamp))


def _sqlite_path(url):
    """The file of a ``sqlite[+driver]://`` URL (``:memory:`` for none)."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    rest = rest.split("?", 1)[0]
    if rest and not rest.startswith("/"):
        raise StoreError("db_url is not a database URL (dialect+driver://user@host/name)")
    return rest[1:] or ":memory:"


class Store(object):
    """``Store(url=None, path=DEFAULT_PATH, password=None)``; ``run(fn, lock=, dry_run=)``."""

    def __init__(self, url=None, path=None, password=None, timeout=30):
        self.timeout = timeout
        self.path = None
        self.url = None
        backend = url.split(":", 1)[0].split("+", 1)[0].lower() if url and ":" in url else None
        if url and backend == "sqlite":
            self.path = _sqlite_path(url)
        elif url:
            self._server_url(url, password)
        else:
            self.path = path or DEFAULT_PATH
        if self.path is not None:
            self.backend = "sqlite"
            self.description = "sqlite:///%s" % self.path
        self._engine = None

    def _server_url(self, url, password):
        try:
            import sqlalchemy as sa
        except ImportError:
            raise StoreError(missing_required_lib("SQLAlchemy", reason="for a database server "
                                                  "record store"), exception=traceback.format_exc())
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise StoreError("db_url is not a database URL (dialect+driver://user@host/name)")
        if password:
            parsed = parsed.set(password=password)
        self.url = parsed
        # mysql:// and mariadb:// are one server family to the store.
        self.backend = {"mariadb": "mysql"}.get(parsed.get_backend_name(),
                                                parsed.get_backend_name())
        try:
            self.description = parsed.render_as_string(hide_password=True)
        except Exception:  # pylint: disable=broad-except
            self.description = "the given database URL"

    # -- connections
    def _sqlite_connect(self, dry_run):
        path = self.path
        if path != ":memory:":
            directory = os.path.dirname(os.path.abspath(path))
            if not os.path.exists(path) and dry_run:
                # Check mode writes nothing, not even an empty store file: an empty
                # store in memory answers the same.
                path = ":memory:"
            elif not os.path.isdir(directory):
                os.makedirs(directory, 0o700)
        try:
            return SqliteConnection(path, self.timeout)
        except sqlite3.Error as err:
            if _retryable(err):
                raise
            raise StoreError("cannot open the record store %s: %s"
                             % (self.description, _first_line(err)))

    def _server_connect(self):
        import sqlalchemy as sa
        if self._engine is None:
            kwargs = {"poolclass": sa.pool.NullPool,
                      "connect_args": {"connect_timeout": min(self.timeout, 10)}}
            if self.backend == "mysql":
                # InnoDB's REPEATABLE READ would read the device names in use from the
                # snapshot taken before the lock row was won, and so miss a name another
                # transaction just committed; READ COMMITTED (PostgreSQL's default, and what
                # Nova runs MySQL with in practice through oslo.db) reads them after the lock.
                kwargs["isolation_level"] = "READ COMMITTED"
            try:
                self._engine = sa.create_engine(self.url, **kwargs)
            except (ImportError, sa.exc.NoSuchModuleError) as err:
                raise StoreError("no database driver for %s: %s" % (self.description, err))
        try:
            return ServerConnection(self._engine.connect())
        except sa.exc.OperationalError as err:
            raise ServiceUnavailable("cannot connect to the record store database "
                                     "%s: %s" % (self.description, _first_line(err)))

    def _errors(self):
        if self.backend == "sqlite":
            return sqlite3.Error
        import sqlalchemy as sa
        return sa.exc.DBAPIError

    # -- schema
    def _ensure_schema(self, conn, tx):
        if not conn.has_schema():
            conn.create_schema(self.backend)
        row = conn.rows("SELECT version FROM virtblock_schema WHERE name = 'records'", {})
        if not row:
            # MySQL commits DDL at once, so no transaction orders two first runs that both
            # created the tables: the later one's version row is a no-op (INSERT IGNORE).
            conn.write("INSERT %sINTO virtblock_schema (name, version) VALUES ('records', :version)"
                       % ("IGNORE " if self.backend == "mysql" else ""), dict(version=SCHEMA_VERSION))
            return
        version = row[0]["version"]
        if version > SCHEMA_VERSION:
            raise StoreError("the record store %s has schema version %d, newer than this "
                             "collection knows (%d): upgrade the collection"
                             % (self.description, version, SCHEMA_VERSION))
        while version < SCHEMA_VERSION:
            version += 1
            MIGRATIONS[version](tx)
            conn.write("UPDATE virtblock_schema SET version = :version WHERE name = 'records'",
                       dict(version=version))

    def _lock(self, conn, name):
        if self.backend == "sqlite":
            return   # BEGIN IMMEDIATE already holds the database's one write lock
        conn.write(LOCK_INSERT.get(self.backend, LOCK_INSERT["mysql"]), dict(name=name))
        conn.rows(LOCK_SELECT, dict(name=name))

    # -- the one entry point
    def run(self, func, lock=None, dry_run=False):
        """Run ``func(Tx)`` in one transaction holding *lock* (a name or a list of names,
        taken in that order); roll back when *dry_run*."""
        errors = self._errors()
        attempt = 0
        while True:
            attempt += 1
            try:
                if self.backend == "sqlite":
                    conn = self._sqlite_connect(dry_run)
                else:
                    conn = self._server_connect()
                try:
                    conn.begin()
                    try:
                        tx = Tx(conn)
                        self._ensure_schema(conn, tx)
                        for name in [lock] if isinstance(lock, str) else lock or []:
                            self._lock(conn, name)
                        result = func(tx)
                    except BaseException:
                        conn.finish(commit=False)
                        raise
                    conn.finish(commit=not dry_run)
                    return result
                finally:
                    conn.close()
            except errors as err:
                if _retryable(err) and attempt < _RETRIES:
                    time.sleep(min(0.05 * attempt, 1.0) * (0.5 + random.random()))
                    continue
                if "file is not a database" in str(getattr(err, "orig", None) or err):
                    raise StoreError("the record store %s is not a database (%s)"
                                     % (self.description, _first_line(err)))
                raise StoreError("record store %s: %s" % (self.description, _first_line(err)))
