# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: The record operations the modules run inside one store transaction.

Each function takes the open transaction (``Tx`` of the store adapter, passed in: this file
does not import the adapter) and the module's parameters, applies the pure rules
(``device_names``, ``bdm_rules``, ``volume_states``) and returns ``(changed, before, after)``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import uuid

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import item_option
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm import (
    attach_complete, check_not_attached, stored_connection_info)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    next_device_name, prepend_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    VolumeNotFound, InvalidInput, VirtblockError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states

# Optional BDM fields a caller may set; None means "leave as it is".
BDM_FIELDS = ("attachment_id", "boot_index", "tag", "delete_on_termination", "volume_size",
              "source_type", "destination_type", "device_type", "guest_format", "image_id",
              "snapshot_id", "volume_type", "disk_bus")


def bdm_lock(instance_uuid):
    return "instance:%s" % instance_uuid


def volume_lock(volume_id):
    return "volume:%s" % volume_id


def bdm_locks(p):
    """The locks of a BDM change, and of its volume's when the same transaction moves the
    volume too (taken in a fixed order, so two runs never wait on each other)."""
    locks = [bdm_lock(p["instance_uuid"])]
    if p.get("volume_state") and p.get("volume_id"):
        locks.append(volume_lock(p["volume_id"]))
    return locks


def batch_locks(base, batch):
    """The locks of a batch: the instance's, then every volume's in one sorted order (so
    a batch and a single attach never wait on each other in a cycle)."""
    volumes = sorted(set(p["volume_id"] for p in batch if p.get("volume_state") and p.get("volume_id")))
    return [bdm_lock(base["instance_uuid"])] + [volume_lock(v) for v in volumes]


def in_savepoint(tx, func):
    """``func()`` inside a savepoint of the open transaction: when it fails (a volume of a
    batch refused), what it wrote is rolled back and the error raised; the transaction and
    the other volumes' rows go on. Savepoints follow one another, so one name serves."""
    tx.savepoint("vb_volume")
    try:
        out = func()
    except VirtblockError:
        tx.rollback_to("vb_volume")
        raise
    tx.release("vb_volume")
    return out


def bdm_with_volume(operation, tx, p):
    """A BDM operation and, in the same transaction, the volume's attachment for the
    instance moved to ``p["volume_state"]`` - what nova-api does in one request
    (check not attached + reserve the device name + reserve the volume), and the
    compute's final save + Cinder's ``attachment_complete``. Returns
    ``(changed, before, after, cinder)``; *cinder* is the volume's snapshot or None."""
    changed, before, after = operation(tx, p)
    cinder = None
    if p.get("volume_id") and (p.get("volume_state") or p["state"] == "reserved"):
        cinder = _snapshot(tx, p["volume_id"])
        complete = p["state"] == "reserved" and attach_complete(
            after, cinder["attachments"], p["instance_uuid"], p.get("domain_serials"))
        if p.get("volume_state") and not complete and (
                cinder["volume"] is not None or p["volume_state"] != "detached"):
            fields = dict(volume_id=p["volume_id"], instance_uuid=p["instance_uuid"],
                          state=p["volume_state"], attach_mode=p.get("attach_mode"),
                          attachment_id=p.get("attachment_id") if p["state"] != "reserved" else None,
                          host=p.get("host"),
                          mountpoint=(after or before or {}).get("device_name"))
            moved, dummy, cinder = set_volume(tx, fields)
            refused = cinder.pop("refused", None)
            if refused is not None:
                # Cinder refused the attach for its mode (a readonly volume asked for rw:
                # InvalidVolumeAttachMode). Nova then deletes the attachment and destroys the
                # BDM it reserved; failing the whole request here ends in the same records,
                # with nothing half-written. (volume_state on its own keeps Cinder's
                # error_attaching attachment: there Cinder is all that runs.)
                raise refused
            changed = changed or moved
            mine = [a for a in cinder["attachments"] if a["instance_uuid"] == p["instance_uuid"]]
            if p["state"] == "reserved" and mine and after and not after.get("attachment_id"):
                # Nova keeps the attachment's id in the BDM from the reservation on.
                after = tx.bdm_update(after["id"], {"attachment_id": mine[0]["id"]})
        cinder["attach_complete"] = complete
    return changed, before, after, cinder


def _rows_for(tx, p):
    """The instance's live rows for the mapping: by volume, or for a local disk (no
    volume) by its device name."""
    if p.get("volume_id"):
        return tx.bdm_rows(instance_uuid=p["instance_uuid"], volume_id=p["volume_id"])
    if not p.get("device_name") or p.get("destination_type") != "local":
        raise InvalidInput("a mapping without volume_id is a local disk: give "
                           "destination_type local and its device_name")
    device = prepend_dev(p["device_name"])
    return [row for row in tx.bdm_rows(instance_uuid=p["instance_uuid"])
            if not row["volume_id"] and row["device_name"] == device]


def _new_bdm(tx, p):
    rows = tx.bdm_rows(instance_uuid=p["instance_uuid"])
    in_use = [row["device_name"] for row in rows] + list(p.get("in_use_device_names") or [])
    device = next_device_name(p.get("disk_bus") or "virtio", in_use,
                              requested=p.get("device_name"),
                              max_disk_devices_to_attach=p.get("max_disk_devices_to_attach", -1))
    values = {
        "uuid": str(uuid.uuid4()), "instance_uuid": p["instance_uuid"],
        "volume_id": p["volume_id"], "device_name": device,
        "source_type": "volume", "destination_type": "volume",
        "disk_bus": p.get("disk_bus") or "virtio", "device_type": "disk",
        "delete_on_termination": False, "no_device": False,
    }
    for field in BDM_FIELDS:
        if p.get(field) is not None:
            values[field] = p[field]
    return tx.bdm_insert(values)


def reserve_bdm(tx, p):
    """Nova's ``_check_volume_already_attached_to_instance`` + ``reserve_block_device_name``.

    A row still reserved (no connection_info yet) and asked for again is this same
    reservation run twice: unchanged. A row with connection_info is an attached volume:
    Nova's "volume X already attached", unless ``already_attached`` is ``ok``."""
    rows = _rows_for(tx, p)
    if rows:
        row = rows[0]
        wanted = p.get("device_name")
        same = row["connection_info"] is None and (
            not wanted or prepend_dev(wanted) == row["device_name"])
        if not same and p.get("already_attached") != "ok":
            check_not_attached(p["volume_id"], rows)
        return False, row, row
    row = _new_bdm(tx, p)
    return True, None, row


def save_bdm(tx, p):
    """Nova's ``bdm.save()`` after attach: connection_info (secrets removed) and fields."""
    rows = _rows_for(tx, p)
    before = rows[0] if rows else None
    row = before if before is not None else _new_bdm(tx, p)
    updates = {}
    if p.get("connection_info") is not None:
        text, _removed = stored_connection_info(p["connection_info"])
        old = json.loads(row["connection_info"]) if row["connection_info"] else None
        if old != json.loads(text):
            updates["connection_info"] = text
    for field in BDM_FIELDS:
        if p.get(field) is not None and row.get(field) != p[field]:
            updates[field] = p[field]
    if p.get("device_name") and prepend_dev(p["device_name"]) != row["device_name"]:
        raise InvalidInput("volume %s is on instance %s as %s, not %s: detach it first"
                           % (p["volume_id"] or "(local disk)", p["instance_uuid"], row["device_name"],
                              p["device_name"]))
    after = tx.bdm_update(row["id"], updates) if updates else row
    return before is None or bool(updates), before, after


def delete_bdm(tx, p):
    """Nova's ``bdm.destroy()``: soft delete of the instance's live rows for the volume."""
    rows = _rows_for(tx, p)
    if not rows:
        return False, None, None
    for row in rows:
        tx.bdm_soft_delete(row["id"])
    return True, rows[0], None


VOLUME_FIELDS = ("size", "multiattach", "readonly", "bootable", "display_name")


def set_volume(tx, p):
    """The volume record (``present``/``absent``) or one attachment's state (the others)."""
    volume_id = p["volume_id"]
    volume = tx.volume_get(volume_id)
    state = p["state"]
    before = {"volume": volume, "attachments": tx.attachments(volume_id) if volume else []}

    if state == "present":
        if volume is None:
            values = {"id": volume_id, "status": "available", "attach_status": "detached"}
            for field in VOLUME_FIELDS:
                if p.get(field) is not None:
                    values[field] = p[field]
            # Cinder never hands an id out twice; the volumes a boot makes have ids derived
            # from the request (rules/server_request.new_volume_id), so a boot after a delete
            # or a rolled-back boot makes the same id again: its soft-deleted row (kept, as
            # Cinder keeps deleted rows) becomes the new volume instead of a second row.
            if not tx.volume_revive(volume_id, values):
                tx.volume_insert(values)
            return True, before, _snapshot(tx, volume_id)
        updates = dict((f, p[f]) for f in VOLUME_FIELDS
                       if p.get(f) is not None and volume.get(f) != p[f])
        if updates:
            tx.volume_update(volume_id, updates)
        return bool(updates), before, _snapshot(tx, volume_id)

    if state == "absent":
        if volume is None:
            return False, before, before
        volume_states.check_delete(volume, before["attachments"], tx.snapshots(volume_id))
        for att in before["attachments"]:      # error_attaching ones go with the volume
            tx.attachment_delete(att["id"])
        tx.volume_delete(volume_id)
        return True, before, {"volume": None, "attachments": []}

    if volume is None:
        raise VolumeNotFound(volume_id)
    if state in volume_states.EXTEND_STATES:
        changed, updates = volume_states.plan_extend(volume, before["attachments"], state, p.get("size"))
        if changed:
            tx.volume_update(volume_id, updates)
        return changed, before, _snapshot(tx, volume_id) if changed else before
    if not p.get("instance_uuid"):
        raise InvalidInput("instance_uuid is required for state %s" % state)
    attachments = before["attachments"]
    changed, action, fields = volume_states.plan(
        volume, attachments, p["instance_uuid"], state, mode=p.get("attach_mode") or "rw",
        attachment_id=p.get("attachment_id"))
    refused = fields.pop("refused", None)
    if not changed:
        return False, before, dict(before, refused=refused) if refused else before
    stamp = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    if action == "create":
        values = {"id": fields.get("id") or str(uuid.uuid4()), "volume_id": volume_id,
                  "instance_uuid": p["instance_uuid"], "attach_status": fields["attach_status"],
                  "attach_mode": fields["attach_mode"], "attached_host": p.get("host"),
                  "mountpoint": p.get("mountpoint")}
        if fields["attach_status"] == "attached":
            values["attach_time"] = stamp
        tx.attachment_insert(values)
    else:
        mine = [a for a in attachments if a["instance_uuid"] == p["instance_uuid"]][0]
        if action == "delete":
            tx.attachment_delete(mine["id"])
        else:
            values = dict(fields)
            if fields["attach_status"] == "attached":
                values["attach_time"] = stamp
                for key in ("host", "mountpoint"):
                    if p.get(key):
                        values["attached_host" if key == "host" else key] = p[key]
            tx.attachment_update(mine["id"], values)
    status, attach_status = volume_states.volume_status(tx.attachments(volume_id))
    tx.volume_update(volume_id, {"status": status, "attach_status": attach_status})
    after = _snapshot(tx, volume_id)
    if refused:
        # Committed with the error_attaching attachment; the module fails with Cinder's error.
        after["refused"] = refused
    return True, before, after


def _snapshot(tx, volume_id):
    return {"volume": tx.volume_get(volume_id), "attachments": tx.attachments(volume_id)}


# bdm_info's options, defined once (the module takes them from here;
# RecordModule adds the store's, adapters/database.py STORE_ARGUMENT_SPEC).
BDM_INFO_SPEC = dict(
    argument_spec=dict(
        instance_uuid=dict(type="str", required=True),
        volume_id=dict(type="str"),
        include_deleted=dict(type="bool", default=False),
        must_exist=dict(type="bool", default=True),
    ),
    mutually_exclusive=[("volume_id", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' rows read in one transaction.
BDM_INFO_SPEC["argument_spec"]["volumes"] = item_option(BDM_INFO_SPEC, ("volume_id",), required=("volume_id",))


# bdm_record's options, defined once (the module takes them from here;
# RecordModule adds the store's, adapters/database.py STORE_ARGUMENT_SPEC).
BDM_RECORD_SPEC = dict(
    argument_spec=dict(
        instance_uuid=dict(type="str", required=True),
        volume_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["reserved", "present", "absent"]),
        device_name=dict(type="str"),
        disk_bus=dict(type="str", choices=["virtio", "scsi", "sata", "usb", "ide", "xen", "fdc", "uml"]),
        device_type=dict(type="str", default="disk", choices=["disk", "cdrom", "floppy", "lun"]),
        in_use_device_names=dict(type="list", elements="str", default=[]),
        max_disk_devices_to_attach=dict(type="int", default=-1),
        already_attached=dict(type="str", default="fail", choices=["fail", "ok"]),
        connection_info=dict(type="dict"),
        attachment_id=dict(type="str"),
        boot_index=dict(type="int"),
        tag=dict(type="str"),
        delete_on_termination=dict(type="bool"),
        volume_size=dict(type="int"),
        source_type=dict(type="str", choices=["volume", "image", "snapshot", "blank"]),
        destination_type=dict(type="str", choices=["volume", "local"]),
        guest_format=dict(type="str"),
        image_id=dict(type="str"),
        snapshot_id=dict(type="str"),
        volume_type=dict(type="str"),
        volume_state=dict(type="str", choices=["reserved", "attached", "detached"]),
        attach_mode=dict(type="str", default="rw", choices=["rw", "ro"]),
        host=dict(type="str"),
        domain_serials=dict(type="list", elements="str"),
    ),
    # The volume moves with the row it belongs to: reserved with a reservation, attached
    # with the final save, detached with the destroy. volume_state needs volume_id, the
    # task's or each item's (checked by the module: required_by cannot say "or").
    mutually_exclusive=[("volume_id", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' rows of one instance in ONE store
# transaction; each item's options override the task's.
BDM_RECORD_SPEC["argument_spec"]["volumes"] = item_option(
    BDM_RECORD_SPEC, ("volume_id", "device_name", "disk_bus", "connection_info", "attachment_id",
                      "boot_index", "tag", "delete_on_termination", "attach_mode", "volume_size"),
    required=("volume_id",))


# volume_state's options, defined once (the module takes them from here;
# RecordModule adds the store's, adapters/database.py STORE_ARGUMENT_SPEC).
VOLUME_STATE_SPEC = dict(
    argument_spec=dict(
        volume_id=dict(type="str"),
        state=dict(type="str", default="present",
                   choices=["present", "absent", "reserved", "attaching", "attached",
                            "detaching", "detached", "error_attaching",
                            "extending", "extended", "error_extending"]),
        instance_uuid=dict(type="str"),
        attachment_id=dict(type="str"),
        attach_mode=dict(type="str", default="rw", choices=["rw", "ro"]),
        host=dict(type="str"),
        mountpoint=dict(type="str"),
        size=dict(type="int"),
        multiattach=dict(type="bool"),
        readonly=dict(type="bool"),
        bootable=dict(type="bool"),
        display_name=dict(type="str"),
    ),
    required_if=[
        ("state", state, ["instance_uuid"])
        for state in ("reserved", "attaching", "attached", "detaching", "detached",
                      "error_attaching")] + [("state", state, ["size"]) for state in ("extending", "extended")],
    required_one_of=[("volume_id", "volumes")],
    mutually_exclusive=[("volume_id", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' attachments moved in one transaction.
VOLUME_STATE_SPEC["argument_spec"]["volumes"] = item_option(
    VOLUME_STATE_SPEC, ("volume_id", "attachment_id", "attach_mode", "mountpoint"), required=("volume_id",))
