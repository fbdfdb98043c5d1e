# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Guest device names as Nova chooses them. Pure functions, no I/O.

- ``match_device``: Nova's ``block_device.match_device`` (what the compute API checks a
  requested device against before anything else: ``InvalidDevicePath``).
- ``dev_prefix_for_disk_bus`` / ``dev_count_for_disk_bus``: the libvirt driver's prefix per
  bus (``vd`` virtio, ``sd`` scsi/usb/sata, ``hd`` ide, ...) and how many disks a bus takes
  (ide 4, the others 26 unless ``max_disk_devices_to_attach`` says otherwise).
- ``next_device_name``: ``reserve_block_device_name``'s choice: the first free name on the
  bus, gaps first (vda, vdc in use -> vdb), ``vdz`` then ``vdaa``; a requested name keeps
  its letters (the prefix is the bus's, as Nova's ``get_next_device_name`` does with the
  root device's prefix) and is refused when in use (``DevicePathInUse``).

The names in use are what the caller gathers: the instance's block_device_mapping rows
plus the target devs the live domain reports (``vda`` or ``/dev/vda``, both accepted).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidDevicePath, DevicePathInUse, InvalidBDMDiskBus, TooManyDiskDevices)

# Nova: "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"; written out here on our own.
_DEVICE_RE = re.compile(r"^(/dev/x?[a-z]?d?)([a-z]+)[0-9]*$")

# nova.objects.fields.DiskBus.ALL
DISK_BUSES = ("fdc", "ide", "sata", "scsi", "usb", "virtio", "xen", "lxc", "uml")

_PREFIXES = {
    "fdc": "fd", "ide": "hd", "sata": "sd", "scsi": "sd", "usb": "sd",
    "virtio": "vd", "xen": "xvd", "uml": "ubd", "lxc": None,
}


def prepend_dev(name):
    """``vdb`` -> ``/dev/vdb`` (Nova's ``prepend_dev``)."""
    if name is None:
        return None
    name = str(name).strip()
    return name if name.startswith("/dev/") else "/dev/" + name


def strip_dev(name):
    return name[len("/dev/"):] if name and name.startswith("/dev/") else name


def match_device(device):
    """Return ``(prefix, letters)`` of a ``/dev/...`` name, or None when it is not one."""
    match = _DEVICE_RE.match(device or "")
    if not match:
        return None
    return match.group(1), match.group(2)


def letters_to_index(letters):
    """``a`` -> 0, ``z`` -> 25, ``aa`` -> 26 (bijective base 26)."""
    index = 0
    for char in letters:
        index = index * 26 + (ord(char) - ord("a") + 1)
    return index - 1


def index_to_letters(index):
    """Nova's ``generate_device_letter``: 0 -> ``a``, 25 -> ``z``, 26 -> ``aa``."""
    if index < 0:
        raise ValueError("device index must be >= 0")
    letters = ""
    while index >= 0:
        letters = chr(ord("a") + index % 26) + letters
        index = index // 26 - 1
    return letters


def dev_prefix_for_disk_bus(disk_bus):
    if disk_bus not in _PREFIXES:
        raise InvalidBDMDiskBus(disk_bus)
    prefix = _PREFIXES[disk_bus]
    if prefix is None:
        raise InvalidBDMDiskBus(disk_bus)
    return prefix


def dev_count_for_disk_bus(disk_bus, max_disk_devices_to_attach=-1):
    """libvirt blockinfo: ide takes 4; the others 26, or Nova's
    ``[compute] max_disk_devices_to_attach`` when it is set (>= 0)."""
    if disk_bus == "ide":
        return 4
    if max_disk_devices_to_attach is None or max_disk_devices_to_attach < 0:
        return 26
    return max_disk_devices_to_attach


def next_device_name(disk_bus, names_in_use, requested=None, max_disk_devices_to_attach=-1):
    """Return the ``/dev/...`` name to reserve on *disk_bus*.

    *names_in_use*: device names already taken on the instance (any bus; only the same
    name counts as taken). *requested*: the operator's ``device`` (must be a ``/dev/`` path,
    as in Nova's attach API).
    """
    prefix = dev_prefix_for_disk_bus(disk_bus)
    maximum = dev_count_for_disk_bus(disk_bus, max_disk_devices_to_attach)
    taken = set()
    for name in names_in_use or ():
        if name:
            taken.add(strip_dev(prepend_dev(name)))

    if requested:
        parts = match_device(requested)
        if parts is None:
            raise InvalidDevicePath(requested)
        letters = parts[1]
        if letters_to_index(letters) >= maximum:
            raise InvalidDevicePath(requested)
        name = prefix + letters
        if name in taken:
            raise DevicePathInUse(requested)
        return "/dev/" + name

    for index in range(maximum):
        name = prefix + index_to_letters(index)
        if name not in taken:
            return "/dev/" + name
    raise TooManyDiskDevices(maximum)
