# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Batches: one module run for the volumes of one instance (issue 16 item 4).

A module that takes ``volumes`` (a list of per-volume options) runs its one-volume step
for each item in one process, over one connection (tgtd, libvirt, the store's one
transaction). The item's options override the task's; every other option is the task's.
Each volume succeeds or fails on its own, as each of Nova's attach requests does: a
failed volume leaves nothing half-done (the one-volume contract) and does not stop the
others. The module's result has every volume's result in ``volumes`` (in the order
given) and fails, with each failed volume's own message, when any volume failed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError

# How many volumes one run takes: libvirt's and Nova's own limits are far below
# (a domain's PCI slots, max_disk_devices_to_attach); this only bounds one task's work.
MAX_BATCH = 256


def item_option(spec, keys, required=(), extra=None):
    """The ``volumes`` option of a module whose one-volume options are *spec*'s: a list
    of dicts taking *keys* (the option definitions without defaults, so an item's
    missing key means "the task's value")."""
    argspec = spec["argument_spec"]
    options = {}
    for key in keys:
        option = dict((name, value) for name, value in argspec[key].items()
                      if name not in ("default", "required", "fallback"))
        if key in required:
            option["required"] = True
        options[key] = option
    options.update(extra or {})
    return dict(type="list", elements="dict", options=options)


def merged(params, item):
    """The one-volume parameters of *item*: the task's, with the item's given keys."""
    one = dict(params)
    one.pop("volumes", None)
    one.update((key, value) for key, value in item.items() if value is not None)
    return one


def _label(item, result):
    for source in (result, item, (item.get("connection_info") or {}).get("data") or {}):
        if source.get("volume_id"):
            return source["volume_id"]
    return None


def run_items(items, one, ours_only=False):
    """``one(params_of_item)`` -> result dict, for every item; a VirtblockError (or any
    error, unless *ours_only*: a store's own errors must reach its retry) fails that item
    only. Returns (results, failed) with *failed* the ``(volume_id, msg)`` of each failed
    item."""
    if len(items) > MAX_BATCH:
        raise VirtblockError("volumes has %d items; one run takes at most %d" % (len(items), MAX_BATCH))
    results, failed = [], []
    for item in items:
        try:
            result = one(item)
        except VirtblockError as err:
            result = dict(changed=False, failed=True, msg=err.msg)
        except Exception as err:  # pylint: disable=broad-except
            if ours_only:
                raise
            # As VirtblockModule.__call__ does for one volume: a clean message, no traceback
            # in the result (the trace goes to -vvv through the failed item's exception).
            result = dict(changed=False, failed=True, msg="%s: %s" % (type(err).__name__, err),
                          exception=traceback.format_exc())
        result.setdefault("volume_id", _label(item, result))
        result.setdefault("failed", False)
        if result["failed"]:
            failed.append((result["volume_id"], result["msg"]))
        results.append(result)
    return results, failed


def batch_result(results, failed):
    """The module result of a batch: ``changed`` when any volume changed, ``diff`` the
    volumes' diffs (Ansible shows a list of diffs one after another), and ``failed``
    with every failed volume's own message."""
    result = dict(changed=any(r["changed"] for r in results), volumes=results)
    diffs = [r.pop("diff") for r in results if r.get("diff") is not None]
    if diffs:
        result["diff"] = diffs
    if failed:
        result.update(failed=True, msg="%d of %d volume(s) failed: %s" % (
            len(failed), len(results), "; ".join("%s: %s" % pair for pair in failed)))
    return result
