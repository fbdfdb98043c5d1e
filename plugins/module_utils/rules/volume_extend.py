# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's ``LibvirtDriver.extend_volume`` for one attached volume. Pure, no I/O.

After Cinder grew the volume (and its export), the compute host makes the guest see it:
the host path (os-brick's kernel initiator) first rescans the device
(``connector.extend_volume``), then every path asks QEMU to re-read the size
(``virDomainBlockResize``), which tells a running guest without a reboot. A guest that
is not running needs no resize (QEMU reads the size when it starts), as in Nova.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput, VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.volumes import GiB, MiB

RESCAN, BLOCK_RESIZE = "rescan", "block_resize"


def requested_bytes(new_size=None, new_size_mib=None):
    """The size asked for, in bytes: GiB as Cinder's ``new_size``, or MiB for tests."""
    if (new_size is None) == (new_size_mib is None):
        raise InvalidInput("give one of new_size (GiB) or new_size_mib")
    size = new_size if new_size is not None else new_size_mib
    if size < 1:
        raise InvalidInput("New size for extend must be greater than 0")
    return size * (GiB if new_size is not None else MiB)


def plan(kind, requested, running, qemu_bytes, host_bytes=None):
    """The steps to take, in order: ``[RESCAN]`` and/or ``[BLOCK_RESIZE]`` (none: the guest
    already sees *requested* bytes).

    *kind* is ``disk_config.validate``'s (``iscsi_host``, ``iscsi_qemu``, ``rbd``,
    ``local``); *qemu_bytes* what QEMU gives the guest (None when not running);
    *host_bytes* the size of the host device or file the disk opens (host path, local).
    """
    steps = []
    if kind in ("iscsi_host", "local"):
        if host_bytes is None:
            raise VirtblockError("the volume's host device is not there: connect it first")
        if host_bytes < requested:
            if kind == "local":
                # QEMU would grow the file itself: the bytes belong to the storage side
                raise InvalidInput("the volume is %d bytes, less than the %d asked: extend the "
                                   "volume first (volume module)" % (host_bytes, requested))
            steps.append(RESCAN)
    if running and qemu_bytes < requested:
        steps.append(BLOCK_RESIZE)
    return steps


def check_rescanned(new_bytes, requested):
    """os-brick's rescan must find the LUN grown; else the storage side was not extended."""
    if new_bytes < requested:
        raise VirtblockError("after a rescan the host device is %d bytes, less than the %d asked: "
                             "was the volume (and its iSCSI LUN) extended?" % (new_bytes, requested))
    return new_bytes
