# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: Cinder's ``create_snapshot`` / ``delete_snapshot`` for one snapshot: the record
(``snapshots`` table, through the store the caller opens) and the bytes (a volume backend).

Order, as Cinder's API then manager: the row is written ``creating`` (the rules refuse first),
the backend makes the snapshot, the row becomes ``available``; a failed backend step leaves
``error`` (delete: ``deleting``, then ``error_deleting``) and the error is raised. Each step
is checked before it is taken, so a rerun finishes what a broken run began.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import snapshots as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid, volume_name
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, SnapshotIsBusy, SnapshotNotFound, VolumeNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.rbd import RBD_ARGUMENT_SPEC, ImageBusy


def snapshot_lock(snapshot_id):
    return "snapshot:%s" % snapshot_id


class SnapshotManager(object):
    """*store* the record store, *backend* a volume backend (file, lvm, rbd)."""

    def __init__(self, store, backend, check_mode):
        self.store = store
        self.backend = backend
        self.check_mode = check_mode

    def _tx(self, func, snapshot_id, volume_id=None):
        locks = ["volume:%s" % volume_id] if volume_id else []
        return self.store.run(func, lock=locks + [snapshot_lock(snapshot_id)], dry_run=self.check_mode)

    def present(self, snapshot_id, volume_id, force, names):
        snapshot_id = validate_uuid(snapshot_id, what="snapshot_id")
        if not volume_id:
            raise InvalidInput("volume_id is required to create a snapshot")
        volume_id = validate_uuid(volume_id, what="volume_id")
        snap_name, vol_name = "snapshot-" + snapshot_id, volume_name(volume_id)

        def reserve(tx):
            volume = tx.volume_get(volume_id)
            if volume is None:
                raise VolumeNotFound(volume_id)
            before = tx.snapshot_get(snapshot_id)
            action, values = rules.plan_create(volume, before, force, snapshot_id)
            if action == "create":
                tx.snapshot_insert(dict(values, **names))
            elif action == "retry":
                tx.snapshot_update(snapshot_id, values)
            return before, action

        before, action = self._tx(reserve, snapshot_id, volume_id)
        made = self.backend.snapshot_exists(vol_name, snap_name)
        if action is None and made:
            return False, before, before
        if not self.check_mode:
            try:
                if not made:
                    self.backend.create_snapshot(vol_name, snap_name)
            except Exception:
                self._set(snapshot_id, {"status": "error"})
                raise
        after = self._set(snapshot_id, {"status": "available", "progress": "100%",
                                        "provider_location": self.backend.path(snap_name)})
        return True, before, after

    def absent(self, snapshot_id):
        snapshot_id = validate_uuid(snapshot_id, what="snapshot_id")
        snap_name = "snapshot-" + snapshot_id

        def begin(tx):
            row = tx.snapshot_get(snapshot_id)
            if row is not None:
                rules.check_delete(row)
                tx.snapshot_update(snapshot_id, {"status": "deleting"})
            return row

        before = self._tx(begin, snapshot_id)
        vol_name = volume_name(before["volume_id"]) if before else None
        made = self.backend.snapshot_exists(vol_name, snap_name) if vol_name else False
        if before is None and not made:
            return False, None, None
        if made and not self.check_mode:
            try:
                self.backend.delete_snapshot(snap_name, vol_name)
            except ImageBusy:
                self._set(snapshot_id, {"status": "available"})   # Cinder: SnapshotIsBusy keeps it
                raise SnapshotIsBusy(snap_name)
            except Exception:
                self._set(snapshot_id, {"status": "error_deleting"})
                raise
        if before is not None:
            self._tx(lambda tx: tx.snapshot_delete(snapshot_id), snapshot_id)
        return True, before, None

    def _set(self, snapshot_id, values):
        def update(tx):
            if tx.snapshot_get(snapshot_id) is None:
                if self.check_mode:
                    return dict(values, id=snapshot_id)   # the dry run's row is gone
                raise SnapshotNotFound(snapshot_id)
            return tx.snapshot_update(snapshot_id, values)
        return self._tx(update, snapshot_id)


# volume_snapshot's options, defined once (the module takes them from here; RecordModule
# adds the store's, adapters/database.py STORE_ARGUMENT_SPEC).
VOLUME_SNAPSHOT_SPEC = dict(
    RBD_ARGUMENT_SPEC,
    snapshot_id=dict(type="str", required=True),
    volume_id=dict(type="str"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    force=dict(type="bool", default=False),
    display_name=dict(type="str"),
    display_description=dict(type="str"),
    backend=dict(type="str", choices=["file", "lvm", "rbd"], default="file"),
    backing_dir=dict(type="path", default="/var/lib/virtblock/backing"),
    volume_group=dict(type="str"),
)
