# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Cinder's snapshot rules (``volume.api.API._create_snapshot`` / ``delete_snapshot``,
the manager's states). Pure, no I/O.

A snapshot row is Cinder's ``snapshots`` table: ``id``, ``volume_id``, ``status``
(``creating`` -> ``available``; ``deleting`` -> deleted; ``error``, ``error_deleting``),
``progress``, ``volume_size``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput, InvalidSnapshot, InvalidVolume

# Cinder ``_create_snapshot``: without force only an available volume; with force an in-use one too.
SNAPSHOTTABLE = ("available",)
SNAPSHOTTABLE_FORCED = ("available", "in-use")
# Cinder ``delete_snapshot``: "Snapshot status must be available or error".
DELETABLE = ("available", "error", "error_deleting", "deleting")


def check_create(volume, force):
    """Refuse a snapshot of a volume Cinder would not snapshot, with its wording."""
    status = volume["status"]
    if status == "in-use" and not force:
        # Cinder raises this InvalidVolume for an attached volume without --force
        raise InvalidVolume("Volume %s status must be available, but current status is: in-use." % volume["id"])
    allowed = SNAPSHOTTABLE_FORCED if force else SNAPSHOTTABLE
    if status not in allowed:
        raise InvalidVolume("Volume %s status must be %s, but current status is: %s."
                            % (volume["id"], " or ".join(allowed), status))


def plan_create(volume, snapshot, force, snapshot_id):
    """``(action, values)``: ``None`` (the snapshot exists, available), ``"create"`` (a new
    ``creating`` row) or ``"retry"`` (a row left ``creating`` or ``error`` by a broken run:
    checked again and made anew)."""
    if snapshot is not None:
        if snapshot["volume_id"] != volume["id"]:
            raise InvalidInput("snapshot %s belongs to volume %s, not %s"
                               % (snapshot_id, snapshot["volume_id"], volume["id"]))
        if snapshot["status"] == "available":
            return None, {}
        if snapshot["status"] in ("deleting", "error_deleting"):
            raise InvalidSnapshot("Snapshot %s is being deleted (%s)." % (snapshot_id, snapshot["status"]))
    check_create(volume, force)
    values = {"status": "creating", "progress": "0%", "volume_size": volume.get("size")}
    if snapshot is None:
        return "create", dict(values, id=snapshot_id, volume_id=volume["id"])
    return "retry", values


def check_delete(snapshot):
    if snapshot["status"] not in DELETABLE:
        raise InvalidSnapshot("Snapshot status must be available or error and must not be part of a group.")
