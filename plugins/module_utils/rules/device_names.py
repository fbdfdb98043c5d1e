# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: guest device names as Nova chooses them, the one file for them. Pure, no I/O.

From ``nova/block_device.py`` (``match_device``, ``prepend_dev``, ``strip_dev``,
``generate_device_letter``) and ``nova/virt/libvirt/blockinfo.py``
(``get_dev_prefix_for_disk_bus``, ``get_disk_bus_for_disk_dev``,
``get_dev_count_for_disk_bus``): ONE bus -> prefix table (``BUS_PREFIX``), one error per
case (unknown bus: ``InvalidBDMDiskBus``; a name that is no device path or is not the
bus's: ``InvalidDevicePath``; a name taken: ``DevicePathInUse``; the bus full:
``TooManyDiskDevices``).

- ``match_device``: Nova's ``block_device.match_device`` (what the compute API checks a
  requested device against before anything else: ``InvalidDevicePath``).
- ``dev_prefix_for_disk_bus`` / ``dev_count_for_disk_bus``: the libvirt driver's prefix per
  bus (``vd`` virtio, ``sd`` scsi/usb/sata, ``hd`` ide, ...) and how many disks a bus takes
  (ide 4; the others no limit unless ``max_disk_devices_to_attach`` is set, so ``vdz`` is
  followed by ``vdaa``, as ``blockinfo.get_dev_count_for_disk_bus`` returns None).
- ``next_device_name``: ``reserve_block_device_name``'s choice: the first free name on the
  bus, gaps first (vda, vdc in use -> vdb), ``vdz`` then ``vdaa``; a requested name keeps
  its letters (the prefix is the bus's, as Nova's ``get_next_device_name`` does with the
  root device's prefix) and is refused when in use (``DevicePathInUse``).

The names in use are what the caller gathers: the instance's block_device_mapping rows
plus the target devs the live domain reports (``vda`` or ``/dev/vda``, both accepted).

In Nova the device name is chosen once, by ``reserve_block_device_name``, and the libvirt
driver is handed it. The same here: the roles reserve it with ``bdm_record``
(``next_device_name``) and pass it to ``libvirt_disk_attach``; when that module is used on
its own without ``device``, ``choose`` asks the same ``next_device_name`` with the domain's
disks as the names in use. There is no second naming policy.
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

# blockinfo.get_dev_prefix_for_disk_bus (without [libvirt] disk_prefix): lxc has no prefix.
BUS_PREFIX = {
    "fdc": "fd", "ide": "hd", "sata": "sd", "scsi": "sd", "usb": "sd",
    "virtio": "vd", "xen": "xvd", "uml": "ubd", "lxc": None,
}
# blockinfo.get_disk_bus_for_disk_dev for kvm/qemu: "sd" could be scsi, sata or usb;
# Nova picks scsi, so do we.
PREFIX_BUS = {"hd": "ide", "sd": "scsi", "vd": "virtio", "fd": "fdc", "xvd": "xen", "ubd": "uml"}


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
    """Nova raises ``InternalError("Unable to determine disk prefix for ...")`` here, after
    its API refused the bus; we have no API in front, so the API's error is raised here."""
    prefix = BUS_PREFIX.get(disk_bus)
    if prefix is None:
        raise InvalidBDMDiskBus(disk_bus)
    return prefix


def split_name(dev):
    """``vdb`` -> (``vd``, ``b``); None when it is not a whole-disk name of a known prefix."""
    for prefix in sorted(PREFIX_BUS, key=len, reverse=True):
        rest = dev[len(prefix):]
        if dev.startswith(prefix) and re.match(r"^[a-z]+$", rest):
            return prefix, rest
    return None


def dev_count_for_disk_bus(disk_bus, max_disk_devices_to_attach=-1):
    """Nova ``blockinfo.get_dev_count_for_disk_bus``: ide takes 4; the others have no limit
    (None) unless ``[compute] max_disk_devices_to_attach`` is set (>= 0)."""
    if disk_bus == "ide":
        return 4
    if max_disk_devices_to_attach is None or max_disk_devices_to_attach < 0:
        return None
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
        if maximum is not None and letters_to_index(letters) >= maximum:
            raise InvalidDevicePath(requested)
        name = prefix + letters
        if name in taken:
            raise DevicePathInUse(requested)
        return "/dev/" + name

    # blockinfo.find_disk_dev_for_disk_bus: the first free name, up to the maximum if any;
    # without one, len(taken) + 1 names always hold a free one.
    for index in range(maximum if maximum is not None else len(taken) + 1):
        name = prefix + index_to_letters(index)
        if name not in taken:
            return "/dev/" + name
    raise TooManyDiskDevices(maximum)


def validate_requested(device, bus=None):
    """Check a requested ``/dev/<name>`` as the Nova API does; return (name, bus).

    Nova's ``match_device`` rejects names without ``/dev/``, upper case and names
    like ``/dev/nvme0n1``; partitions (``/dev/vdb1``) are refused too, a volume is a
    whole disk. A name whose prefix is not the bus's (``/dev/sdb`` on virtio) is kept with
    the bus asked for, as Nova's ``blockinfo.get_info_from_bdm`` keeps a BDM's device name
    and its ``disk_bus`` (the guest names the disk by its bus anyway). When *bus* is None it
    comes from the prefix (``get_disk_bus_for_disk_dev``).
    """
    if not match_device(device):
        raise InvalidDevicePath(device)
    name = strip_dev(device)
    parts = split_name(name)
    if parts is None:
        raise InvalidDevicePath(device, "A volume's device must be a whole disk named "
                                "<prefix><letters> (e.g. /dev/vdb).")
    prefix = parts[0]
    if bus is None:
        bus = PREFIX_BUS[prefix]
    else:
        dev_prefix_for_disk_bus(bus)    # an unknown bus is still InvalidBDMDiskBus
    return name, bus


def choose(requested, bus, disks, serial):
    """The target device for the volume *serial* on a domain (``libvirt_disk_attach``).

    *disks* is ``[{"dev": ..., "serial": ...}, ...]`` from the domain (live and
    persistent together). The volume's own device when it is there already; else the
    requested one (DevicePathInUse when another disk has it); else the one
    ``bdm_record`` would reserve (``next_device_name``) with the domain's disks in use.
    Returns (dev, bus).
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
