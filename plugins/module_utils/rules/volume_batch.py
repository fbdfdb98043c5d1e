# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: which volumes of an attach or detach batch each step takes, and what a failure undoes.

The attach role's batch (roles/attach_volume/tasks/batch.yml) runs each step once for a
list of volumes of one instance; every step's module returns one result per volume
(module_utils/batch.py). A volume goes on to the next step only while its own steps
succeed - as each of Nova's attach requests is its own: one volume's failure does not
undo, or stop, the others. A volume that failed is rolled back alone (the steps that
changed something for it in this run, in Nova's order), and the play fails with its own
message. When a whole step fails (the store or a host unreachable), the rescue rolls back
every volume's changed steps, as the one-volume role does.

A detach batch (roles/detach_volume/tasks/batch.yml) is the same: a volume whose step fails
goes no further (its export and records stay), is put back to in-use if this run began
its detach (Cinder's roll_detaching), and the others are detached.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.host_connection import for_libvirt

# The attach's steps, in order, as the role registers them.
STEPS = ("bdm", "export", "connection", "disk", "in_use")
# What the rollback undoes, in Nova's order (disk first, the BDM last), and from which step.
UNDO = (("disk", "disk"), ("secret", "disk"), ("connection", "connection"), ("export", "export"),
        ("bdm", "bdm"))
REQUEST_KEYS = ("volume_id", "device_name", "disk_bus", "boot_index", "delete_on_termination",
                "attach_mode", "backing_store")


def requested(volumes, keys=REQUEST_KEYS):
    """The role's ``attach_volume_volumes`` (or the detach's), checked: dicts with a
    distinct volume_id each (a string is a volume id alone); only the *keys* the steps know."""
    if not isinstance(volumes, (list, tuple)) or not volumes:
        raise InvalidInput("the batch's volumes must be a non-empty list")
    out, seen = [], set()
    for volume in volumes:
        if not isinstance(volume, dict):
            volume = {"volume_id": volume}
        unknown = sorted(set(volume) - set(keys))
        if unknown:
            raise InvalidInput("a volume of the batch has unknown key(s) %s (known: %s)"
                               % (", ".join(map(str, unknown)), ", ".join(keys)))
        volume_id = str(volume.get("volume_id") or "").lower()
        if not volume_id:
            raise InvalidInput("a volume of the batch has no volume_id")
        if volume_id in seen:
            raise InvalidInput("volume %s is twice in the batch" % volume_id)
        seen.add(volume_id)
        out.append(dict((k, v) for k, v in volume.items() if v not in (None, "")))
        out[-1]["volume_id"] = volume_id
    return out


def by_volume(result):
    """A step's registered result as {volume_id: that volume's result}; {} when the step
    did not run (skipped, or failed as a whole)."""
    if not isinstance(result, dict):
        return {}
    return dict((r.get("volume_id"), r) for r in result.get("volumes") or [] if isinstance(r, dict))


def _ok(result):
    return isinstance(result, dict) and not result.get("failed")


def _alive(request, steps, upto):
    """The requested volumes whose steps up to *upto* (inclusive) all succeeded, the ones
    a rerun found finished (attach_complete) left out, with their per-step results."""
    results = dict((step, by_volume(steps.get(step))) for step in STEPS)
    out = []
    for volume in request:
        vid = volume["volume_id"]
        mine = dict((step, results[step].get(vid)) for step in STEPS)
        if not _ok(mine["bdm"]) or mine["bdm"].get("attach_complete"):
            continue
        ran = [step for step in STEPS[1:STEPS.index(upto) + 1] if results[step]]
        if all(_ok(mine[step]) for step in ran):
            out.append((volume, mine))
    return out


def _connection_info(mine):
    return for_libvirt([mine["export"] or {}, mine["connection"] or {}])


def step_items(request, step, steps):
    """The ``volumes`` items of *step* for the volumes still going."""
    if step == "bdm":
        return [dict((k, v) for k, v in volume.items() if k != "backing_store") for volume in request]
    previous = STEPS[STEPS.index(step) - 1]
    items = []
    for volume, mine in _alive(request, steps, previous):
        item = {"volume_id": volume["volume_id"]}
        if step == "export":
            item.update((k, volume[k]) for k in ("backing_store",) if k in volume)
            if "attach_mode" in volume:
                item["access_mode"] = volume["attach_mode"]
            # a multiattach volume's one target serves every instance (qcow2 refused there)
            if (mine["bdm"].get("volume") or {}).get("multiattach"):
                item["multiattach"] = True
        elif step == "connection":
            item["connection_info"] = mine["export"]["connection_info"]
        elif step == "disk":
            item.update(connection_info=_connection_info(mine), device=mine["bdm"]["device_name"])
            item.update((k, volume[k]) for k in ("disk_bus", "boot_index") if k in volume)
        elif step == "in_use":
            item.update(connection_info=_connection_info(mine))
            item.update((k, volume[k]) for k in ("disk_bus", "attach_mode") if k in volume)
        items.append(item)
    return items


def failures(request, steps):
    """``[{volume_id, step, msg}]``: each volume that failed, at its first failed step."""
    results = dict((step, by_volume(steps.get(step))) for step in STEPS)
    out = []
    for volume in request:
        for step in STEPS:
            mine = results[step].get(volume["volume_id"])
            if mine is not None and mine.get("failed"):
                out.append(dict(volume_id=volume["volume_id"], step=step, msg=mine.get("msg") or "failed"))
                break
    return out


def undo_items(request, steps, undo, everything):
    """The items of rollback step *undo* (``disk``, ``secret``, ``connection``, ``export``,
    ``bdm``): the volumes whose step changed something in this run - every volume when
    *everything* (a step failed as a whole), else only those that failed."""
    source = dict(UNDO)[undo]
    failed = set(f["volume_id"] for f in failures(request, steps))
    results = by_volume(steps.get(source))
    items = []
    for volume in request:
        vid = volume["volume_id"]
        mine = results.get(vid)
        if not (everything or vid in failed) or not isinstance(mine, dict) or not mine.get("changed"):
            continue
        if undo == "secret":
            info = (by_volume(steps.get("export")).get(vid) or {}).get("connection_info")
            if info:
                items.append({"volume_id": vid, "connection_info": info})
        elif undo == "connection":
            items.append({"volume_id": vid, "connection_info": mine["connection_info"]})
        else:
            items.append({"volume_id": vid})
    return items


def summary(request, steps):
    """One line a volume for the play's output: its device and what happened to it."""
    bdm = by_volume(steps.get("bdm"))
    saved = by_volume(steps.get("in_use"))
    failed = dict((f["volume_id"], f) for f in failures(request, steps))
    out = []
    for volume in request:
        vid = volume["volume_id"]
        mine = bdm.get(vid) or {}
        if vid in failed:
            status = "failed at %s: %s" % (failed[vid]["step"], failed[vid]["msg"])
        elif mine.get("attach_complete"):
            status = "already attached"
        elif _ok(saved.get(vid)):
            status = "volume %s" % ((saved[vid].get("volume") or {}).get("status") or "in-use")
        else:
            status = "reserved only (instance has no domain: shelved)"
        out.append(dict(volume_id=vid, device_name=mine.get("device_name"), status=status))
    return out


# The detach's steps, in order, as the detach role registers them.
DETACH_STEPS = ("records", "detaching", "disk", "secret", "connection", "export", "destroy")


def _failed_before(steps, order, step, vid):
    """Whether a step of *order* before *step* failed for volume *vid*."""
    for earlier in order[:order.index(step)]:
        mine = by_volume(steps.get(earlier)).get(vid)
        if mine is not None and mine.get("failed"):
            return True
    return False


def detach_items(request, step, steps, backend=None):
    """The ``volumes`` items of detach step *step* for the volumes still going and needing it."""
    records = by_volume(steps.get("records"))
    items = []
    for volume in request:
        vid = volume["volume_id"]
        if step != "records" and (vid not in records or _failed_before(steps, DETACH_STEPS, step, vid)):
            continue
        mine = records.get(vid) or {}
        info = (mine.get("bdm") or {}).get("connection_info")
        if step == "detaching" and ((mine.get("attachment") or {}).get("attach_status") != "attached"):
            continue
        if step == "secret" and not info:
            continue
        # only a host-initiator attach saved a host device; bdm_info decides whether another
        # instance on this host still uses that connection (multiattach)
        if step == "connection" and (not ((info or {}).get("data") or {}).get("device_path")
                                     or not mine.get("disconnect", True)):
            continue
        # never for rbd (Cinder's RBD remove_export does nothing); bdm_info decides the rest
        if step == "export" and (not mine.get("remove_export") or backend == "rbd"):
            continue
        item = {"volume_id": vid}
        if step in ("secret", "connection"):
            item["connection_info"] = info
        items.append(item)
    return items


def detach_failures(request, steps):
    """``[{volume_id, step, msg}]``: each volume whose detach failed, at its failed step."""
    out = []
    for volume in request:
        for step in DETACH_STEPS:
            mine = by_volume(steps.get(step)).get(volume["volume_id"])
            if mine is not None and mine.get("failed"):
                out.append(dict(volume_id=volume["volume_id"], step=step, msg=mine.get("msg") or "failed"))
                break
    return out


def roll_detaching(request, steps, everything):
    """The volumes this run began to detach (``detaching``) that go back to in-use: those
    that failed, or every one when *everything* (a step failed as a whole)."""
    failed = set(f["volume_id"] for f in detach_failures(request, steps))
    began = by_volume(steps.get("detaching"))
    return [{"volume_id": v["volume_id"]} for v in request
            if (everything or v["volume_id"] in failed) and (began.get(v["volume_id"]) or {}).get("changed")
            and not (by_volume(steps.get("destroy")).get(v["volume_id"]) or {}).get("changed")]
