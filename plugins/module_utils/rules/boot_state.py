# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: is a boot from volume already done? Pure, no I/O.

A rerun of boot_from_volume should check, not redo: one read of the records (the
instance's BDM rows and the Cinder attachments of their volumes) and one look at the
domain say whether every disk the plan names is there. Nova has no such shortcut (a
server create is never repeated); it is the attach role's "finished attach" check applied
to every disk of the request.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    prepend_dev, strip_dev)


def unfinished_disks(plan, rows, attachments, domain):
    """The device names of the planned disks a boot has still to make or wire in.

    *plan*: ``plan_disks``'s result; *rows*: the instance's live BDM rows; *attachments*:
    Cinder attachments (``volume_id``, ``instance_uuid``, ``attach_status``) of this
    instance; *domain*: ``libvirt_domain_info``'s result. ``["domain"]`` when the domain
    is missing or stopped; an empty list when the boot is done.
    """
    if not domain.get("exists") or not domain.get("running"):
        return ["domain"]
    by_dev = dict((prepend_dev(r["device_name"]), r) for r in rows
                  if r.get("device_name") and not r.get("deleted"))
    attached = set(a["volume_id"] for a in attachments if a.get("attach_status") == "attached")
    serials = set(d.get("serial") for d in domain.get("disks") or [] if d.get("serial"))
    devs = set(strip_dev(d) for d in domain.get("device_names") or [])
    missing = []
    for disk in list(plan["disks"]) + list(plan.get("unshelve") or []):
        name = prepend_dev(disk["device_name"])
        row = by_dev.get(name) or {}
        volume_id = disk.get("volume_id")
        if volume_id:
            done = (row.get("volume_id") == volume_id and bool(row.get("connection_info"))
                    and volume_id in attached and volume_id in serials
                    and row.get("boot_index") == disk.get("boot_index"))
        else:
            done = (row.get("destination_type") == "local" and not row.get("volume_id")
                    and strip_dev(name) in devs)
        if not done:
            missing.append(name)
    return missing
