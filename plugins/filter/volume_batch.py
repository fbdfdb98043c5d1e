# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Documented in attach_batch.yml beside this file.

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_batch


def attach_batch(volumes, what, steps=None, everything=False, backend=None):
    try:
        if backend == "rbd":
            raise VirtblockError("a batch takes iSCSI (tgt) volumes only; attach rbd volumes one at a time")
        request = volume_batch.requested(volumes)
        steps = steps or {}
        if what == "request":
            return request
        if what in volume_batch.STEPS:
            return volume_batch.step_items(request, what, steps)
        if what == "failures":
            return volume_batch.failures(request, steps)
        if what == "summary":
            return volume_batch.summary(request, steps)
        if what == "undo":
            return dict((undo, volume_batch.undo_items(request, steps, undo, everything))
                        for undo in dict(volume_batch.UNDO))
        if what.startswith("undo_") and what[5:] in dict(volume_batch.UNDO):
            return volume_batch.undo_items(request, steps, what[5:], everything)
    except VirtblockError as err:
        raise AnsibleFilterError(err.msg)
    raise AnsibleFilterError("attach_batch: unknown %r (request, %s, failures, summary, undo, undo_<%s>)"
                             % (what, ", ".join(volume_batch.STEPS), "|".join(dict(volume_batch.UNDO))))


def detach_batch(volumes, what, steps=None, everything=False, backend=None):
    try:
        request = volume_batch.requested(volumes, keys=("volume_id",))
        steps = steps or {}
        if what == "request":
            return request
        if what in volume_batch.DETACH_STEPS:
            return volume_batch.detach_items(request, what, steps, backend)
        if what == "failures":
            return volume_batch.detach_failures(request, steps)
        if what == "roll_detaching":
            return volume_batch.roll_detaching(request, steps, everything)
    except VirtblockError as err:
        raise AnsibleFilterError(err.msg)
    raise AnsibleFilterError("detach_batch: unknown %r (request, %s, failures, roll_detaching)"
                             % (what, ", ".join(volume_batch.DETACH_STEPS)))


class FilterModule(object):
    def filters(self):
        return {"attach_batch": attach_batch, "detach_batch": detach_batch}
