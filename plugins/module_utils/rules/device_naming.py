# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Nova's device naming rules for a volume's target device on the libvirt side. Pure, no I/O.

- ``nova/block_device.py``: ``match_device`` (the API's check of a requested
  ``/dev/...`` name), ``strip_dev``, ``generate_device_letter`` (a..z, aa, ab, ...).
- ``nova/virt/libvirt/blockinfo.py``: ``get_dev_prefix_for_disk_bus`` and
  ``get_disk_bus_for_disk_dev``.

In Nova the device name is chosen once, by ``reserve_block_device_name``, and the
libvirt driver is handed it. The same here: the roles reserve it with ``bdm_record``
(``device_names.next_device_name``) and pass it to ``libvirt_disk_attach``; when the
module is used on its own without ``device`` it asks that same rule, with the domain's
disks as the names in use. There is no second naming policy here.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# The name grammar (match_device, strip_dev, the a..z, aa.. letters) is shared with the
# records' device_names.py; this file keeps only what the libvirt side adds to it.
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (  # noqa: F401
    match_device, next_device_name, strip_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    DevicePathInUse, InvalidDevicePath)

# nova.block_device._pref_dev_re / match_device

# blockinfo.get_dev_prefix_for_disk_bus (kvm/qemu buses)
BUS_PREFIX = {
    "ide": "hd",
    "virtio": "vd",
    "scsi": "sd",
    "sata": "sd",
    "usb": "sd",
    "fdc": "fd",
    "xen": "xvd",
}
# blockinfo.get_disk_bus_for_disk_dev for kvm/qemu
PREFIX_BUS = {"hd": "ide", "sd": "scsi", "vd": "virtio", "fd": "fdc", "xvd": "xen"}


def prefix_for_bus(bus):
    try:
        return BUS_PREFIX[bus]
    except KeyError:
        raise InvalidDevicePath("(bus %s)" % bus, "Unsupported disk bus %s; use one of %s."
                                % (bus, ", ".join(sorted(BUS_PREFIX))))


def split_name(dev):
    """``vdb`` -> (``vd``, ``b``); None when it is not a whole-disk name."""
    for prefix in sorted(PREFIX_BUS, key=len, reverse=True):
        rest = dev[len(prefix):]
        if dev.startswith(prefix) and re.match(r"^[a-z]+$", rest):
            return prefix, rest
    return None


def validate_requested(device, bus=None):
    """Check a requested ``/dev/<name>`` as the Nova API does; return (name, bus).

    Nova's ``match_device`` rejects names without ``/dev/``, upper case and names
    like ``/dev/nvme0n1``; partitions (``/dev/vdb1``) are refused too, a volume is a
    whole disk. A name whose prefix is not the bus's (``/dev/sdb`` on virtio) is refused.
    When *bus* is None it comes from the prefix (``get_disk_bus_for_disk_dev``).
    """
    if not match_device(device):
        raise InvalidDevicePath(device)
    name = strip_dev(device)
    parts = split_name(name)
    if parts is None:
        raise InvalidDevicePath(device, "A volume's device must be a whole disk named "
                                "<prefix><letters> (e.g. /dev/vdb).")
    prefix, _letters = parts
    if bus is None:
        bus = PREFIX_BUS[prefix]
    elif prefix_for_bus(bus) != prefix:
        raise InvalidDevicePath(device, "Disks on bus %s are named %s*."
                                % (bus, prefix_for_bus(bus)))
    return name, bus


def choose(requested, bus, disks, serial):
    """The target device for the volume *serial*.

    *disks* is ``[{"dev": ..., "serial": ...}, ...]`` from the domain (live and
    persistent together). The volume's own device when it is there already; else the
    requested one (DevicePathInUse when another disk has it); else the one
    ``bdm_record`` would reserve (``device_names.next_device_name``) with the domain's
    disks in use. Returns (dev, bus).
    """
    for disk in disks:
        if serial and disk.get("serial") == serial:
            return disk["dev"], disk.get("bus") or bus
    if requested:
        name, bus = validate_requested(requested, bus)
        if any(d["dev"] == name for d in disks):
            raise DevicePathInUse(requested)
        return name, bus
    bus = bus or "virtio"
    return strip_dev(next_device_name(bus, [d["dev"] for d in disks])), bus
