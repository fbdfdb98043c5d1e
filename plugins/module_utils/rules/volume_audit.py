# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Records against reality: what differs, and what repairing it means. Pure, no I/O.

Nova has ``nova-manage volume_attachment show/refresh`` for one attachment; this compares
every volume, attachment and BDM in the store with what the compute host's libvirt and the
storage host's tgtd hold, and says, for each difference, what Nova and Cinder would do.

Inputs (the drivers gather them, one per system):

- *records*: ``volumes``, ``attachments`` (live rows) and ``bdms`` (volume BDMs: ``id``,
  ``instance_uuid``, ``volume_id``, ``device_name``, ``disk_bus``, ``connection_info``);
- *compute*: ``domains`` (``{instance uuid: {running, disks: [{dev, serial, live,
  config}]}}``, only the store's instances; a missing key is a missing domain) and
  ``secrets`` (``[{uuid, usage_type, usage_id, used}]``) and ``sessions`` (the kernel
  initiator's ``[{target_iqn, target_portal}]``; None on a host without one: not compared);
- *storage*: ``targets`` (``[{iqn, volume_id, backing_store, backing_exists}]``) and
  ``target_files`` (volume ids with a target file);
- *rbd* (optional): ``pool`` and its ``images`` (names), for the BDMs of RBD volumes.

A finding is ``{kind, volume_id, instance_uuid, detail, repair, actions}``; *actions* are
``{part, op, ...}`` for the part that owns the system (``compute``, ``storage``,
``records``). The repair order is Nova's detach order: compute host first, then the export,
the re-attach of a lost disk (it needs the export), and the records last.

An attachment is stuck when it is ``attaching`` or ``detaching``, or ``reserved`` while its
instance has a domain: Cinder's ``attachment_create`` reserves, and only a finished attach
(``attachment_complete``) moves on, so a reservation beside a domain is an attach killed
between its steps. The audit must run when no attach or detach does (as ``nova-manage
volume_attachment refresh`` wants the instance locked).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.target_config import LUN

KINDS = ("export_without_attachment", "attachment_without_export", "disk_without_bdm",
         "bdm_without_disk", "secret_without_disk", "volume_in_use_without_attachment",
         "attachment_stuck", "backing_store_missing", "session_without_attachment",
         "attachment_without_session")
LIVE_STATES = ("reserved", "attaching", "attached", "detaching")
STUCK_STATES = ("attaching", "detaching")
REPAIR_ORDER = (("compute", ("detach", "delete_secret", "disconnect")),
                ("storage", ("remove_export", "ensure_export")),
                ("compute", ("reattach",)),
                ("records", ("set_attachment", "delete_attachment", "destroy_bdm",
                             "recompute_status")))
_VOLUME_IN_NAME = re.compile(r"volume-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def volume_of(name):
    """The volume id in an IQN or secret usage id (``...volume-<id>...``), or None."""
    match = _VOLUME_IN_NAME.search(name or "")
    return match.group(1) if match else None


def _finding(kind, volume_id, instance_uuid, detail, repair=None, actions=()):
    return {"kind": kind, "volume_id": volume_id, "instance_uuid": instance_uuid,
            "detail": detail, "repair": repair, "actions": list(actions)}


def _disk(domain, volume_id):
    """The domain's disk for the volume: where it must be (live when running, else config)."""
    where = "live" if domain.get("running") else "config"
    for disk in domain.get("disks", []):
        if disk.get("serial") == volume_id and disk.get(where):
            return disk
    return None


def _bus_of(bdm):
    """The bus the disk had: the one its device name says (``get_disk_bus_for_disk_dev``),
    which the saved row's ``disk_bus`` may not (bdm_record's save step writes its default
    ``virtio`` over it), else the row's."""
    parts = device_names.split_name(device_names.strip_dev(bdm.get("device_name") or ""))
    if parts and device_names.PREFIX_BUS.get(parts[0]) and (
            device_names.BUS_PREFIX.get(bdm.get("disk_bus")) != parts[0]):
        return device_names.PREFIX_BUS[parts[0]]
    return bdm.get("disk_bus")


def _undo_attach(att, bdm):
    """Nova's cleanup of an attach that cannot finish: Cinder ``attachment_delete``, then
    ``bdm.destroy()``."""
    actions = [{"part": "records", "op": "delete_attachment", "attachment_id": att["id"],
                "volume_id": att["volume_id"]}] if att else []
    if bdm:
        actions.append({"part": "records", "op": "destroy_bdm", "bdm_id": bdm["id"],
                        "volume_id": bdm["volume_id"]})
    return actions


def _rbd_images(bdms, rbd):
    """Cinder's RBD driver keeps a volume as the image ``volume-<id>`` in its pool; the
    BDM's ``connection_info.data.name`` is ``<pool>/volume-<id>``. An image missing from the
    pool the ``rbd`` part listed is a missing backing store (there is no export to look at)."""
    if not rbd or rbd.get("images") is None:
        return []
    out = []
    for bdm in sorted(bdms.values(), key=lambda b: (b["volume_id"], b["instance_uuid"])):
        info = bdm.get("connection_info") or {}
        name = (info.get("data") or {}).get("name") or ""
        pool, dummy, image = name.partition("/")
        if info.get("driver_volume_type") == "rbd" and pool == rbd.get("pool") and \
                image not in rbd["images"]:
            out.append(_finding("backing_store_missing", bdm["volume_id"], bdm["instance_uuid"],
                                "RBD image %s does not exist" % name, None, []))
    return out


def audit(records, compute, storage, rbd=None):
    """Every difference, sorted by kind, volume, instance (a stable order). *rbd*: the
    ``rbd`` part's ``{pool, images}``, when the store's volumes live in Ceph."""
    volumes = dict((v["id"], v) for v in records.get("volumes", []))
    atts = [a for a in records.get("attachments", []) if a["attach_status"] in LIVE_STATES]
    bdms = dict(((b["instance_uuid"], b["volume_id"]), b) for b in records.get("bdms", []))
    domains = compute.get("domains", {})
    findings = []

    # Records and the compute host: stuck attachments first (they decide their BDM).
    settled = set()
    for att in atts:
        # A reservation is an attach under way, or a shelved instance's (no domain, Nova's
        # _attach_volume_shelved_offloaded): with a domain and no attach running (the audit
        # runs alone), it is an attach killed before it finished.
        if att["attach_status"] not in STUCK_STATES and not (
                att["attach_status"] == "reserved" and att["instance_uuid"] in domains):
            continue
        key = (att["instance_uuid"], att["volume_id"])
        settled.add(key)
        bdm = bdms.get(key)
        domain = domains.get(att["instance_uuid"])
        disk = _disk(domain, att["volume_id"]) if domain else None
        if att["attach_status"] == "detaching" and disk:
            repair, actions = "roll_detaching: the disk is still attached", [
                {"part": "records", "op": "set_attachment", "attachment_id": att["id"],
                 "volume_id": att["volume_id"], "attach_status": "attached"}]
        elif att["attach_status"] != "detaching" and disk and bdm and bdm.get("connection_info"):
            repair, actions = "attachment_complete: the disk is attached and the BDM saved", [
                {"part": "records", "op": "set_attachment", "attachment_id": att["id"],
                 "volume_id": att["volume_id"], "attach_status": "attached"}]
        else:
            actions = []
            if disk:
                actions.append({"part": "compute", "op": "detach",
                                "instance_uuid": att["instance_uuid"],
                                "volume_id": att["volume_id"]})
            actions += _undo_attach(att, bdm)
            repair = ("finish the detach: attachment deleted, BDM destroyed"
                      if att["attach_status"] == "detaching"
                      else "roll the attach back: disk detached, attachment deleted, BDM destroyed")
        findings.append(_finding("attachment_stuck", att["volume_id"], att["instance_uuid"],
                                 "attachment %s is %s" % (att["id"], att["attach_status"]),
                                 repair, actions))

    reattach_usages = set()
    for key, bdm in sorted(bdms.items()):
        if key in settled or not bdm.get("connection_info"):
            continue    # reserved for a shelved instance, or an attach under way
        instance, volume_id = key
        domain = domains.get(instance)
        if domain is None:
            mine = [a for a in atts if (a["instance_uuid"], a["volume_id"]) == key]
            findings.append(_finding(
                "bdm_without_disk", volume_id, instance, "the instance has no domain",
                "Nova's local delete: attachment deleted, BDM destroyed",
                _undo_attach(mine[0] if mine else None, bdm)))
        elif _disk(domain, volume_id) is None:
            where = "live domain" if domain.get("running") else "domain config"
            info = bdm["connection_info"]
            data = info.get("data") or {}
            if data.get("auth_method") == "CHAP" and data.get("target_iqn"):
                reattach_usages.add("%s/%s" % (data["target_iqn"], data.get("target_lun")))
            findings.append(_finding(
                "bdm_without_disk", volume_id, instance, "no disk with this serial in the %s" % where,
                "attach the disk again from the BDM's connection_info",
                [{"part": "compute", "op": "reattach", "instance_uuid": instance,
                  "volume_id": volume_id, "device_name": bdm.get("device_name"),
                  "disk_bus": _bus_of(bdm), "connection_info": info,
                  "chap": data.get("auth_method") == "CHAP"}]))

    for instance, domain in sorted(domains.items()):
        seen = set()
        for disk in domain.get("disks", []):
            serial = disk.get("serial")
            if serial in volumes and (instance, serial) not in bdms and serial not in seen:
                seen.add(serial)
                findings.append(_finding(
                    "disk_without_bdm", serial, instance,
                    "disk %s (%s) has no block device mapping" % (disk.get("dev"), ", ".join(
                        part for part in ("live", "config") if disk.get(part))),
                    "detach the disk (live and config)",
                    [{"part": "compute", "op": "detach", "instance_uuid": instance,
                      "volume_id": serial}]))

    for secret in compute.get("secrets", []):
        volume_id = volume_of(secret.get("usage_id"))
        if (secret.get("usage_type") == "iscsi" and volume_id in volumes and not secret.get("used")
                and secret.get("usage_id") not in reattach_usages):
            findings.append(_finding(
                "secret_without_disk", volume_id, None,
                "libvirt secret %s (%s) is used by no domain" % (secret["uuid"], secret["usage_id"]),
                "undefine the secret (Nova drops it on disconnect)",
                [{"part": "compute", "op": "delete_secret", "uuid": secret["uuid"]}]))

    # Records alone, then the export, after the record changes planned above.
    for volume_id, volume in sorted(volumes.items()):
        mine = [a for a in atts if a["volume_id"] == volume_id]
        if volume.get("status") == "in-use" and not any(
                a["attach_status"] in ("attached",) + STUCK_STATES for a in mine):
            status = volume_states.volume_status(mine)[0]
            findings.append(_finding(
                "volume_in_use_without_attachment", volume_id, None,
                "status in-use, no attached attachment", "status recomputed from the "
                "attachments as Cinder does (%s)" % status,
                [{"part": "records", "op": "recompute_status", "volume_id": volume_id}]))
    dropped = set(a["attachment_id"] for f in findings for a in f["actions"]
                  if a["op"] == "delete_attachment")
    remaining = dict((v, [a for a in atts if a["volume_id"] == v and a["id"] not in dropped])
                     for v in volumes)
    targets = dict((t["volume_id"], t) for t in storage.get("targets", []) if t.get("volume_id"))
    files = set(storage.get("target_files", []))
    for volume_id in sorted(volumes):
        target = targets.get(volume_id)
        if (target or volume_id in files) and not remaining[volume_id]:
            findings.append(_finding(
                "export_without_attachment", volume_id, None,
                "target %s%s with no attachment in use" % (
                    target["iqn"] if target else "file",
                    "" if target else " (not running)"),
                "Cinder remove_export: target, its CHAP account and its file removed",
                [{"part": "storage", "op": "remove_export", "volume_id": volume_id}]))
        attached = [a for a in remaining[volume_id] if a["attach_status"] == "attached"]
        iscsi = [b for b in bdms.values() if b["volume_id"] == volume_id
                 and (b.get("connection_info") or {}).get("driver_volume_type") == "iscsi"]
        if attached and iscsi and target is None and storage.get("checked_exports", True):
            findings.append(_finding(
                "attachment_without_export", volume_id, attached[0]["instance_uuid"],
                "volume attached but tgtd has no target for it",
                "Cinder ensure_export: the target made again from its file" if volume_id in files
                else None,
                [{"part": "storage", "op": "ensure_export", "volume_id": volume_id}]
                if volume_id in files else []))
        if target and target.get("backing_exists") is False:
            findings.append(_finding(
                "backing_store_missing", volume_id, None,
                "target %s serves %s, which does not exist" % (target["iqn"],
                                                               target.get("backing_store")),
                None, []))
    findings += _sessions(volumes, bdms, domains, compute.get("sessions"), findings)
    findings += _rbd_images(bdms, rbd)
    return sorted(findings, key=lambda f: (KINDS.index(f["kind"]), f["volume_id"] or "",
                                           f["instance_uuid"] or "", f["detail"]))


def _sessions(volumes, bdms, domains, sessions, planned):
    """The compute host's kernel iSCSI sessions against its host-initiator BDMs (those whose
    ``connection_info`` carries the ``device_path`` os-brick gave, Nova's ``_connect_volume``
    on this host: their instance has a domain here). A session no remaining BDM uses is
    logged out as Nova's ``_disconnect_volume`` does (os-brick ``disconnect_volume``); a BDM
    whose session is gone is reported (Nova reconnects it on a hard reboot, not before)."""
    if sessions is None:
        return []
    destroyed = set(a["bdm_id"] for f in planned for a in f["actions"] if a["op"] == "destroy_bdm")
    used = {}
    for (instance, volume_id), bdm in sorted(bdms.items()):
        data = (bdm.get("connection_info") or {}).get("data") or {}
        if instance in domains and data.get("device_path") and bdm["id"] not in destroyed:
            used.setdefault(data.get("target_iqn"), (instance, volume_id, data))
    live = set(s.get("target_iqn") for s in sessions)
    out = []
    for session in sessions:
        volume_id = volume_of(session.get("target_iqn"))
        if volume_id in volumes and session["target_iqn"] not in used:
            out.append(_finding(
                "session_without_attachment", volume_id, None,
                "host iSCSI session %s to %s with no attachment on this host" % (
                    session.get("target_portal"), session["target_iqn"]),
                "os-brick disconnect_volume: the session logged out",
                [{"part": "compute", "op": "disconnect", "volume_id": volume_id,
                  "target_iqn": session["target_iqn"],
                  "target_portal": session.get("target_portal"), "target_lun": LUN}]))
    for iqn, (instance, volume_id, data) in sorted(used.items()):
        if iqn not in live:
            out.append(_finding(
                "attachment_without_session", volume_id, instance,
                "the BDM's host device %s has no iSCSI session to %s" % (data["device_path"], iqn),
                None, []))
    return out


def actions_for(findings, part, ops=None):
    """The actions one part carries out, in the repair order, each once."""
    out, seen = [], set()
    order = [op for owner, names in REPAIR_ORDER if owner == part for op in names]
    for action in sorted((a for f in findings for a in f["actions"] if a["part"] == part),
                         key=lambda a: order.index(a["op"])):
        key = tuple(sorted((k, str(v)) for k, v in action.items()))
        if key not in seen and (ops is None or action["op"] in ops):
            seen.add(key)
            out.append(action)
    return out


def summary(findings):
    """Counts by kind (every kind, zero included: a stable shape for dashboards)."""
    counts = dict((kind, 0) for kind in KINDS)
    for finding in findings:
        counts[finding["kind"]] += 1
    return counts
