# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Cinder's volume and attachment state rules. Pure functions, no I/O.

A volume is a dict with ``id``, ``status``, ``multiattach``, ``readonly``; its live
attachments a list of dicts with ``id``, ``instance_uuid``, ``attach_status``,
``attach_mode``. ``plan`` takes the wanted state of one attachment (the one of
*instance_uuid*) and returns what to write, or raises Cinder's error with Cinder's wording:

- ``reserved`` / ``attaching``: Cinder ``attachment_create`` / ``reserve_volume``: the volume
  must be ``available`` (or ``in-use``/``reserved``/``attaching`` when multiattach); an in-use
  volume without multiattach refuses a second attach (InvalidVolume); a readonly volume
  refuses ``rw`` (InvalidVolumeAttachMode); attaching again with another mode while
  attaching is refused ("being attached by different mode").
- ``attached``: Cinder ``attach_volume`` / ``attachment_complete``: ``in-use``; from
  ``detaching`` it is ``roll_detaching``.
- ``detaching``: Cinder ``begin_detaching``: only from ``attached`` on an ``in-use`` volume
  (so never in ``maintenance``).
- ``detached``: Cinder ``attachment_delete`` / ``unreserve_volume``: the attachment goes; the
  volume is ``available`` when it was the last one, else it stays ``in-use``.
- ``error_attaching``: a failed attach marks the attachment. An attach refused for its mode
  (a readonly volume asked ``rw``) leaves an ``error_attaching`` attachment, as Cinder's
  manager ``attach_volume`` does after ``begin_attach``: the plan says so in ``refused``.

The volume's status follows its attachments (``volume_status``), as Cinder's
``db.api._get_statuses_from_attachments`` computes it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidVolume, InvalidVolumeAttachMode, VolumeAttached)

ATTACH_MODES = ("rw", "ro")
ATTACHMENT_STATES = ("reserved", "attaching", "attached", "detaching", "detached",
                     "error_attaching")
# What Cinder lets go (volume delete): the statuses a volume may be deleted from.
DELETABLE = ("available", "error", "error_restoring", "error_extending", "error_managing")

# How far along an attachment is: a wanted state behind the current one is already met.
_ORDER = {"reserved": 1, "attaching": 2, "attached": 3}
# Cinder ``cinder/db/api.py:ATTACH_STATUS_MAP``.
_ATTACH_STATUS_MAP = {"attached": "in-use", "detached": "available"}


def volume_status(attachments):
    """The volume's ``(status, attach_status)`` from its live attachments, as Cinder's
    ``cinder/db/api.py:_get_statuses_from_attachments`` (used by ``volume_detached`` and
    ``attachment_destroy``): attachments in ``error_*`` are ignored (os-brick never connected
    them, so a volume with only ``error_attaching`` ones is ``available``); of the others the
    alphabetically first state wins (attached > attaching > detaching > reserved), and
    ``attached`` shows as ``in-use`` (``ATTACH_STATUS_MAP``)."""
    states = sorted(att["attach_status"] for att in attachments
                    if not att["attach_status"].startswith("error_"))
    attach_status = states[0] if states else "detached"
    return _ATTACH_STATUS_MAP.get(attach_status, attach_status), attach_status


def _check_new_attach(volume, attachments, mode):
    """Cinder ``_attachment_reserve`` / ``reserve_volume``'s status check (nothing recorded when
    it refuses), then ``attach_volume``'s mode check (raised by ``_check_mode``)."""
    status = volume["status"]
    if volume.get("multiattach"):
        allowed = ("available", "in-use", "reserved", "attaching")
    else:
        allowed = ("available",)
    if status not in allowed:
        if status == "in-use" and not volume.get("multiattach"):
            raise InvalidVolume("volume is already attached")
        raise InvalidVolume("Volume %s status must be %s" % (volume["id"], " or ".join(allowed)))


def _check_mode(volume, mode):
    if volume.get("readonly") and mode != "ro":
        raise InvalidVolumeAttachMode(mode, volume["id"])


def _refused(action, mode, err, attachment_id=None):
    """Cinder ``VolumeManager.attach_volume``: the mode check runs after ``begin_attach`` made
    the attachment, and its ``except`` marks it ``ERROR_ATTACHING`` before re-raising: the
    caller writes this attachment, commits, then fails with ``refused``."""
    fields = {"attach_status": "error_attaching", "attach_mode": mode, "refused": err}
    if action == "create":
        fields["id"] = attachment_id
    return True, action, fields


def plan(volume, attachments, instance_uuid, wanted, mode="rw", attachment_id=None):
    """Return ``(changed, attachment_action, new_fields)``.

    *attachment_action* is ``None`` (nothing to do), ``"create"``, ``"update"`` or
    ``"delete"``; *new_fields* are the attachment's new values (``attach_status``,
    ``attach_mode``, and the ``id`` to use when creating)."""
    if wanted not in ATTACHMENT_STATES:
        raise InvalidInput("attachment state %r is not one of %s"
                           % (wanted, ", ".join(ATTACHMENT_STATES)))
    if mode not in ATTACH_MODES:
        raise InvalidInput("attach mode %r is not one of rw, ro" % (mode,))
    mine = [att for att in attachments if att["instance_uuid"] == instance_uuid]
    current = mine[0] if mine else None

    if wanted == "detached":
        if current is None:
            return False, None, {}
        return True, "delete", {"attach_status": "detached"}

    if current is None:
        if wanted in ("detaching", "error_attaching"):
            raise InvalidVolume("volume %s has no attachment for instance %s"
                                % (volume["id"], instance_uuid))
        _check_new_attach(volume, attachments, mode)
        try:
            _check_mode(volume, mode)
        except InvalidVolumeAttachMode as err:
            return _refused("create", mode, err, attachment_id)
        return True, "create", {"attach_status": wanted, "attach_mode": mode,
                                "id": attachment_id}

    state = current["attach_status"]
    if attachment_id and current.get("id") != attachment_id:
        raise InvalidVolume("volume %s is attached to instance %s by attachment %s, not %s"
                            % (volume["id"], instance_uuid, current.get("id"), attachment_id))
    if state == wanted:
        if current.get("attach_mode") and current["attach_mode"] != mode and wanted != "detaching":
            raise InvalidVolume("being attached by different mode")
        return False, None, {}

    if wanted == "detaching":
        # Cinder ``API.begin_detaching``: conditional update expecting status ``in-use`` and
        # attach_status ``attached``; a volume in ``maintenance`` (or anything else) refuses.
        if state != "attached" or volume.get("status") != "in-use":
            raise InvalidVolume("Unable to detach volume. Volume status must be 'in-use' and "
                                "attach_status must be 'attached' to detach.")
        return True, "update", {"attach_status": "detaching"}

    if wanted == "error_attaching":
        if state not in ("reserved", "attaching"):
            raise InvalidVolume("volume %s is %s on instance %s, not being attached"
                                % (volume["id"], state, instance_uuid))
        return True, "update", {"attach_status": "error_attaching"}

    # reserved / attaching / attached
    if state == "detaching":
        if wanted != "attached":
            raise InvalidVolume("volume %s is being detached from instance %s"
                                % (volume["id"], instance_uuid))
        return True, "update", {"attach_status": "attached"}   # roll_detaching
    if state == "error_attaching":
        # A retry after a failed attach starts over, with the same checks as a new one.
        others = [att for att in attachments if att is not current]
        _check_new_attach(dict(volume, status=volume_status(others)[0]), others, mode)
        try:
            _check_mode(volume, mode)
        except InvalidVolumeAttachMode as err:
            return False, None, {"refused": err}    # already recorded as error_attaching
        return True, "update", {"attach_status": wanted, "attach_mode": mode}
    if current.get("attach_mode") and current["attach_mode"] != mode:
        raise InvalidVolume("being attached by different mode")
    if _ORDER[wanted] <= _ORDER[state]:
        return False, None, {}
    try:
        _check_mode(volume, mode)
    except InvalidVolumeAttachMode as err:
        return _refused("update", mode, err)
    return True, "update", {"attach_status": wanted, "attach_mode": mode}


def check_delete(volume, attachments, snapshots=()):
    """Cinder's volume delete: an attached volume is ``VolumeAttached``
    (``VolumeManager.delete_volume``: "detach volume first"); otherwise ``API.delete``'s
    conditional update: status in DELETABLE and no attachment still in use. Attachments in
    ``error_*`` do not hold the volume (its status is ``available``); they go with it."""
    if volume.get("attach_status") == "attached" or any(
            att["attach_status"] == "attached" for att in attachments):
        raise VolumeAttached(volume["id"])
    live = [att for att in attachments if not att["attach_status"].startswith("error_")]
    # Cinder ``API.delete`` (no cascade): ``volume_has_snapshots_filter`` fails it too
    if live or snapshots or volume["status"] not in DELETABLE:
        raise InvalidVolume(
            "Volume status must be available or error or error_restoring or error_extending "
            "or error_managing and must not be migrating, attached, belong to a group, have "
            "snapshots, awaiting a transfer, or be disassociated from snapshots after volume "
            "transfer.")


# Cinder ``volume.api.API._extend``: ``os-extend`` takes an ``available`` volume, and since
# microversion 3.42 an ``in-use`` one (the compute then tells the guest). Cinder's manager
# marks a failed extend ``error_extending`` and only an admin's reset-state gets it out;
# here a rerun of the extend is that reset (the steps it repeats are idempotent), so an
# ``error_extending`` volume may be extended again.
EXTENDABLE = ("available", "in-use", "error_extending")
EXTEND_STATES = ("extending", "extended", "error_extending")


def plan_extend(volume, attachments, wanted, new_size):
    """The volume row's ``(changed, updates)`` for one step of an extend.

    ``extending`` (Cinder API ``_extend``): *new_size* (GiB) must be greater than the size,
    with Cinder's wording; the status must be in EXTENDABLE; the volume becomes
    ``extending``. ``extended`` (the manager's success): size = *new_size*, status back to
    what the attachments make it (Cinder keeps ``previous_status``; attachments cannot
    change while ``extending``, so they give the same answer). ``error_extending``: the
    manager's failure. A step already taken is no change, so a rerun converges: a volume
    already at *new_size* and not ``extending`` is a finished extend.
    """
    if wanted not in EXTEND_STATES:
        raise InvalidInput("extend state %r is not one of %s" % (wanted, ", ".join(EXTEND_STATES)))
    status, size = volume["status"], volume.get("size") or 0
    if wanted == "error_extending":
        if status in ("extending", "error_extending"):
            return status != "error_extending", {"status": "error_extending"}
        raise InvalidVolume("Volume %s is %s, not extending" % (volume["id"], status))
    if new_size is None:
        raise InvalidInput("size (the new size in GiB) is required to extend")
    if status == "extending":
        if wanted == "extending":
            return False, {}
        return True, {"size": new_size, "status": volume_status(attachments)[0]}
    if new_size == size:
        return False, {}          # extended already (a rerun)
    if new_size < size:
        raise InvalidInput("New size for extend must be greater than current size. "
                           "(current: %s, extended: %s)." % (size, new_size))
    if wanted == "extended":
        raise InvalidVolume("Volume %s is %s, not extending: extend it first" % (volume["id"], status))
    if status not in EXTENDABLE:
        raise InvalidVolume("Volume %s status must be '%s' to extend, currently %s."
                            % (volume["id"], "' or '".join(EXTENDABLE), status))
    return True, {"status": "extending"}
