# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: the volumes an instance should have against the ones it has. Pure, no I/O.

KubeVirt's declarative hot-plug for Nova's volume attachments: the caller states the
volumes (``volume_id`` and optionally ``device_name``, ``disk_bus``, ``attach_mode``,
``boot_index``, ``delete_on_termination``); the plan says which ones to attach (Nova
``attach_volume``) and which to detach (Nova ``detach_volume``) so that the instance
ends with exactly those.

- *attach*: a wanted volume with no BDM, or whose attach did not finish (its BDM has no
  ``connection_info`` while the instance has a domain), or whose disk is missing from the
  domain (the attach role's rerun puts it back). With no domain (shelved offloaded), a
  reserved BDM is what Nova's ``_attach_volume_shelved_offloaded`` leaves: kept.
- *detach*: a volume BDM of the instance that the list does not name. Only what the
  records know: a disk in the domain without a BDM is the audit's ``disk_without_bdm``,
  not ours to remove. The root volume (boot index 0) is never detached, as Nova's API
  refuses it (``VolumeAttachmentController.delete``: "Cannot detach a root device volume")
  and is reported in *root_kept*.
- *differs*: a wanted volume already attached under another device name or bus than the
  one asked. Nova has no call that moves an attached volume (swap volume changes the
  volume, not the device), so neither do we: it is reported, not changed. The bus is read
  from the device name, as ``blockinfo.get_disk_bus_for_disk_dev`` does, because the
  saved row's ``disk_bus`` may be the default ``virtio`` of a later save.
- *keep*: the rest of the wanted volumes.

Detaches come first when carried out: a device name the list asks for may be held by a
volume that goes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names

WANTED_KEYS = ("volume_id", "device_name", "disk_bus", "attach_mode", "boot_index",
               "delete_on_termination")


def _normalise(wanted):
    """The list as given, ids lower-case, each id once; an error names what is wrong."""
    out, seen = [], set()
    if not isinstance(wanted, (list, tuple)):
        raise InvalidInput("the volumes must be a list, not %s" % type(wanted).__name__)
    for item in wanted:
        if isinstance(item, str):
            item = {"volume_id": item}
        if not isinstance(item, dict) or not item.get("volume_id"):
            raise InvalidInput("each volume needs a volume_id: %r" % (item,))
        unknown = sorted(set(item) - set(WANTED_KEYS))
        if unknown:
            raise InvalidInput("unknown keys for volume %s: %s"
                               % (item["volume_id"], ", ".join(unknown)))
        volume_id = str(item["volume_id"]).lower()
        if volume_id in seen:
            raise InvalidInput("volume %s is listed twice" % volume_id)
        seen.add(volume_id)
        clean = dict((k, v) for k, v in item.items() if v not in (None, ""))
        clean["volume_id"] = volume_id
        out.append(clean)
    return out


def _bus(device_name):
    parts = device_names.split_name(device_names.strip_dev(device_name or ""))
    return device_names.PREFIX_BUS.get(parts[0]) if parts else None


def _differs(item, bdm):
    """What the list asks that the attached volume does not have (empty: nothing)."""
    out = {}
    have = device_names.strip_dev(bdm.get("device_name") or "")
    if item.get("device_name") and device_names.strip_dev(item["device_name"]) != have:
        out["device_name"] = {"wanted": device_names.strip_dev(item["device_name"]), "have": have}
    if item.get("disk_bus") and _bus(have) and item["disk_bus"] != _bus(have) and not (
            device_names.BUS_PREFIX.get(item["disk_bus"]) == device_names.BUS_PREFIX.get(_bus(have))):
        out["disk_bus"] = {"wanted": item["disk_bus"], "have": _bus(have)}
    return out


def plan(wanted, bdms, domain):
    """``{attach, detach, differs, keep, root_kept}`` for *wanted* against the instance's
    BDM rows (``bdm_info``'s ``block_device_mappings``) and its domain (``libvirt_domain_info``:
    ``exists``, ``disks`` with ``serial``).

    *attach* holds the wanted items (in the list's order), *detach* the volume ids (in
    device-name order), *differs* ``{volume_id, differs}``, *keep* and *root_kept* ids.
    """
    wanted = _normalise(wanted)
    domain = domain or {}
    rows = dict((str(b["volume_id"]).lower(), b) for b in bdms or []
                if b.get("volume_id") and (b.get("destination_type") or "volume") == "volume")
    serials = set(str(d.get("serial") or "").lower() for d in domain.get("disks") or [])
    exists = bool(domain.get("exists"))
    names = set(item["volume_id"] for item in wanted)
    result = {"attach": [], "detach": [], "differs": [], "keep": [], "root_kept": []}
    for item in wanted:
        bdm = rows.get(item["volume_id"])
        if bdm is None or (exists and (not bdm.get("connection_info")
                                       or item["volume_id"] not in serials)):
            result["attach"].append(item)
            continue
        differs = _differs(item, bdm)
        if differs:
            result["differs"].append({"volume_id": item["volume_id"], "differs": differs})
        result["keep"].append(item["volume_id"])
    extra = sorted((b for v, b in rows.items() if v not in names),
                   key=lambda b: (b.get("device_name") or "", str(b["volume_id"])))
    for bdm in extra:
        volume_id = str(bdm["volume_id"]).lower()
        if bdm.get("boot_index") in (0, "0"):
            result["root_kept"].append(volume_id)
        else:
            result["detach"].append(volume_id)
    result["changes"] = len(result["attach"]) + len(result["detach"])
    return result
