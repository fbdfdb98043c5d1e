# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: the audit's look at each system and its repairs (``rules/volume_audit``).

Each part runs on the host that holds its system: ``records`` where the store is reached,
``compute`` on the libvirt host, ``storage`` on the tgtd host. A part gathers its facts
(``gather_*``) and carries out the repair actions it owns (``repair_*``), in the rule's
order; in check mode it only says what it would do.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_audit
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import volume_name
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import guest_disks
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import host_connection
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import iscsi_sessions
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import connected
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import TargetExport
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.rbd import RBD_ARGUMENT_SPEC


# ---- records ---------------------------------------------------------------------------
def gather_records(tx):
    bdms = []
    for row in tx.bdm_rows():
        if row.get("volume_id") and (row.get("destination_type") or "volume") == "volume":
            bdms.append({"id": row["id"], "instance_uuid": row["instance_uuid"],
                         "volume_id": row["volume_id"], "device_name": row["device_name"],
                         "disk_bus": row["disk_bus"],
                         "connection_info": json.loads(row["connection_info"])
                         if row["connection_info"] else None})
    volumes = [{"id": v["id"], "status": v["status"], "attach_status": v["attach_status"],
                "multiattach": bool(v.get("multiattach"))} for v in tx.volumes_all()]
    attachments = [{"id": a["id"], "volume_id": a["volume_id"], "instance_uuid": a["instance_uuid"],
                    "attach_status": a["attach_status"]} for a in tx.attachments_all()]
    return {"volumes": volumes, "attachments": attachments, "bdms": bdms}


def repair_records(tx, actions):
    """Cinder's and Nova's record steps, then each touched volume's status recomputed as
    Cinder's ``_get_statuses_from_attachments`` does."""
    touched = []
    for action in actions:
        if action["op"] == "set_attachment":
            tx.attachment_update(action["attachment_id"], {"attach_status": action["attach_status"]})
        elif action["op"] == "delete_attachment":
            tx.attachment_delete(action["attachment_id"])
        elif action["op"] == "destroy_bdm":
            tx.bdm_soft_delete(action["bdm_id"])
        if action["volume_id"] not in touched:
            touched.append(action["volume_id"])
    for volume_id in touched:
        if tx.volume_get(volume_id) is not None:
            status, attach_status = volume_states.volume_status(tx.attachments(volume_id))
            tx.volume_update(volume_id, {"status": status, "attach_status": attach_status})
    return actions


# ---- compute host (libvirt) ------------------------------------------------------------
def gather_compute(uri, instance_uuids):
    wanted = set(instance_uuids)
    domains, texts = {}, []
    with connected(uri) as host:
        for guest in host.guests():
            seen = guest.read()
            if seen is None:
                continue
            running, config_xml, live_xml = seen
            texts += [config_xml, live_xml]
            if guest.uuid not in wanted:
                continue
            disks = {}
            for where, text in (("config", config_xml), ("live", live_xml)):
                for disk in disk_config.parse_disks(text) if text else []:
                    entry = disks.setdefault((disk["dev"], disk["serial"]), {
                        "dev": disk["dev"], "serial": disk["serial"], "live": False,
                        "config": False})
                    entry[where] = True
            domains[guest.uuid] = {"running": running,
                                   "disks": [disks[key] for key in sorted(disks, key=str)]}
        secrets = [{"uuid": uuid, "usage_type": kind, "usage_id": usage,
                    "used": any(uuid in text for text in texts)}
                   for uuid, kind, usage in host.secrets()]
    return {"domains": domains, "secrets": sorted(secrets, key=lambda s: s["uuid"]),
            "sessions": iscsi_sessions.sessions()}


def repair_compute(uri, actions, check_mode, detach_attempts=8, detach_timeout=20):
    done = []
    for action in actions:
        if action["op"] == "detach":
            params = {"uri": uri, "domain": action["instance_uuid"], "state": "detached",
                      "detach_attempts": detach_attempts, "detach_timeout": detach_timeout}
            changed = guest_disks.set_disk(params, action["volume_id"], check_mode)[0]
        elif action["op"] == "delete_secret":
            changed = True
            if not check_mode:
                with connected(uri) as host:
                    changed = host.delete_unused_secret(action["uuid"])
        elif action["op"] == "disconnect":
            # Nova's _disconnect_volume: os-brick disconnect_volume (flush, remove, logout)
            info = {"driver_volume_type": "iscsi", "data": dict(
                (key, action[key]) for key in ("target_iqn", "target_portal", "target_lun"))}
            changed = host_connection.set_connection(dict(
                connection_info=info, iscsi_initiator="host", use_multipath=False,
                device_scan_attempts=1, state="disconnected", lock_path=None), check_mode)[0]["changed"]
        else:
            continue    # reattach: the playbook renders the disk (libvirt_disk_attach)
        done.append(dict(action, changed=changed))
    return done


# ---- storage host (tgtd) ---------------------------------------------------------------
def tgt_admin(control_port):
    return TgtAdmin(control_port=control_port)


def gather_storage(tgt, volumes_dir, target_prefix):
    targets = []
    for target in tgt.targets():
        volume_id = volume_audit.volume_of(target.iqn)
        if not volume_id or not target.iqn.startswith(target_prefix):
            continue
        backing = target.luns.get(target_config.LUN)
        targets.append({"iqn": target.iqn, "volume_id": volume_id, "backing_store": backing,
                        "backing_exists": bool(backing) and os.path.exists(backing),
                        "sessions": target.nexus})
    files = []
    if os.path.isdir(volumes_dir):
        files = sorted(v for v in (volume_audit.volume_of(name) for name in os.listdir(volumes_dir))
                       if v)
    return {"targets": sorted(targets, key=lambda t: t["iqn"]), "target_files": files}


def chap_credentials(volumes_dir, volume_ids):
    """The CHAP pair kept in each volume's target file: what a re-attach through QEMU's
    initiator needs (Nova gets it again from Cinder's ``initialize_connection``)."""
    out = {}
    for volume_id in volume_ids:
        text = files.read_text(os.path.join(volumes_dir, volume_name(volume_id)))
        user, password = target_config.existing_chap(text)[:2] if text else (None, None)
        if user and password:
            out[volume_id] = {"auth_username": user, "auth_password": password}
    return out


def repair_storage(tgt, volumes_dir, target_prefix, actions, check_mode):
    done = []
    for action in actions:
        export = TargetExport(tgt, volumes_dir, action["volume_id"],
                              target_prefix + volume_name(action["volume_id"]))
        if action["op"] == "remove_export":
            # Cinder remove_export: the records say no one uses it, so sessions are stale.
            changed, live, text = export.plan_absent(force=True)
            if changed and not check_mode:
                export.apply_absent(live, text)
        else:   # ensure_export: Cinder's init_host re-creates a lost target from its file
            text = export.current_text()
            changed = text is not None and tgt.find(export.iqn) is None
            if changed and not check_mode:
                tgt.create(target_config.parse(text))
        done.append(dict(action, changed=changed))
    return done


# ---- Ceph (the RBD pool) ---------------------------------------------------------------
def gather_rbd(rbd):
    """The pool's image names (``rbd ls -l``, snapshots left out)."""
    rbd.check_pool()
    return {"pool": rbd.pool,
            "images": sorted(set(i["image"] for i in rbd.listing() if "snapshot" not in i))}


# volume_audit's options, defined once (the module takes them from here; RecordModule adds
# the store's, adapters/database.py STORE_ARGUMENT_SPEC).
VOLUME_AUDIT_SPEC = dict(
    guest_disks.LIBVIRT_ARGUMENT_SPEC,
    part=dict(type="str", required=True, choices=["records", "compute", "storage", "rbd"]),
    records=dict(type="dict"), compute=dict(type="dict"), storage=dict(type="dict"),
    rbd=dict(type="dict"),
    findings=dict(type="list", elements="dict"),
    repair=dict(type="bool", default=False),
    control_port=dict(type="int", default=0),
    volumes_dir=dict(type="path", default="/var/lib/virtblock/volumes"),
    target_prefix=dict(type="str", default="iqn.2010-10.org.openstack:"),
    detach_timeout=dict(type="int", default=20),
    detach_attempts=dict(type="int", default=8),
)
VOLUME_AUDIT_SPEC.update(RBD_ARGUMENT_SPEC)
