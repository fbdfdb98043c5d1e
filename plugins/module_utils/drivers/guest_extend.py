# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: Nova's ``LibvirtDriver.extend_volume`` for one volume of one domain.

The steps are ``rules/volume_extend``'s; the host rescan is os-brick's (adapter), the size
QEMU gives the guest and its resize go through the libvirt adapter. Modules get dicts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection as connection_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_extend as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_encryption as encryption_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import (
    LIBVIRT_ARGUMENT_SPEC, connected)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput, VolumeNotFound

# libvirt_volume_extend's options (kept beside the code that reads them).
VOLUME_EXTEND_SPEC = dict(
    argument_spec=dict(
        LIBVIRT_ARGUMENT_SPEC,
        domain=dict(type="str", required=True),
        volume_id=dict(type="str", required=True),
        new_size=dict(type="int"),
        new_size_mib=dict(type="int"),
        connection_info=dict(type="dict"),
        use_multipath=dict(type="bool", default=False),
        lock_path=dict(type="path"),
        encryption_payload_offset=dict(type="int"),
    ),
    mutually_exclusive=[("new_size", "new_size_mib")],
    required_one_of=[("new_size", "new_size_mib")],
)


def _disk_kind(disk, connection_info):
    """``validate``'s kind for the live disk: from its XML (network disks need no
    connection_info), the connection_info telling a host iSCSI device from a local one."""
    element = disk_config._parse(disk["xml"])
    source = element.find("source")
    if element.get("type") == "network":
        return "network", None
    path = source.get("dev") or source.get("file") if source is not None else None
    if connection_info and connection_info.get("driver_volume_type") == "iscsi":
        return "iscsi_host", path
    return "local", path


def extend(p, check_mode):
    """Returns (result, before, after): *before*/*after* the bytes the guest sees."""
    requested = rules.requested_bytes(p["new_size"], p["new_size_mib"])
    serial = p["volume_id"]
    with connected(p["uri"]) as host:
        guest = host.domain(p["domain"])
        running = guest.is_running()
        disks = disk_config.parse_disks(guest.xml(running))
        disk = disk_config.find_serial(disks, serial)
        if disk is None:
            raise VolumeNotFound(serial)
        kind, path = _disk_kind(disk, p["connection_info"])
        qemu_bytes = guest.block_capacity(disk["dev"]) if running else None
        host_bytes = files.size_bytes(path) if path and os.path.exists(path) else None
        if disk_config.encryption_secret_of(disk["xml"]):
            # Nova's _resize_attached_encrypted_volume: QEMU opens the LUKS container, the
            # guest sees the volume less its header; blockResize to new_size - payload_offset,
            # or QEMU would try to grow the volume underneath by the header.
            offset = p.get("encryption_payload_offset")
            if offset is None:
                raise InvalidInput("volume %s is encrypted: give encryption_payload_offset (the volume "
                                   "module returns it)" % serial)
            requested = encryption_rules.payload_bytes(requested, offset)
            host_bytes = encryption_rules.payload_bytes(host_bytes, offset) if host_bytes else host_bytes
        steps = rules.plan(kind, requested, running, qemu_bytes, host_bytes)
        new_bytes = requested if kind == "network" else max(requested, host_bytes or 0)
        if rules.RESCAN in steps and not check_mode:
            new_bytes = rules.check_rescanned(_rescan(p), requested)
        if rules.BLOCK_RESIZE in steps and not check_mode:
            guest.block_resize(disk["dev"], new_bytes)
    seen = new_bytes if rules.BLOCK_RESIZE in steps else qemu_bytes
    result = dict(changed=bool(steps), steps=steps, device=disk["dev"], running=running, size_bytes=seen)
    return result, dict(size_bytes=qemu_bytes), dict(size_bytes=seen)


def _rescan(p):
    """os-brick ``extend_volume`` for the host path; imported here, as connecting does."""
    from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import os_brick as brick
    step = connection_rules.plan(p["connection_info"], "host", p["use_multipath"], connecting=False)
    if step["protocol"] is None:
        raise InvalidInput("connection_info is not a host iSCSI connection: nothing to rescan")
    return brick.BrickConnection(step["protocol"], step["connector_kwargs"], p["lock_path"]).extend(
        step["properties"])
