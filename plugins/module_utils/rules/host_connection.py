# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""What Nova's ``_connect_volume`` asks of os-brick for a ``connection_info``. Pure.

Nova's libvirt volume drivers call ``connector.connect_volume(connection_info['data'])``
for volumes the host opens (``LibvirtISCSIVolumeDriver``) and store the returned path
as ``connection_info['data']['device_path']``. Network disks (rbd, iSCSI opened by
QEMU) need nothing on the host: libvirt/QEMU open them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import bdm
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config

NOTHING_TO_CONNECT = {
    "iscsi_qemu": "nothing to connect on the host: QEMU's own iSCSI initiator opens the "
                  "target when the disk is attached (libvirt_disk_attach iscsi_initiator=qemu)",
    "rbd": "nothing to connect on the host: libvirt opens rbd volumes as network disks",
    "local": "nothing to connect on the host: the volume is a local block device or file",
}


def plan(connection_info, iscsi_initiator="host", use_multipath=False, device_scan_attempts=3,
         connecting=True):
    """The os-brick call for this volume, or why there is none.

    Returns a dict: ``kind``; ``protocol`` (os-brick's, e.g. ``ISCSI``) or None;
    ``connector_kwargs`` for ``InitiatorConnector.factory``; ``properties`` (what
    ``connect_volume`` gets); ``reason`` when nothing is to be done on the host.
    """
    kind, data = disk_config.validate(connection_info, iscsi_initiator, need_device_path=False,
                                      need_secret=connecting)
    if device_scan_attempts < 1:
        raise disk_config.InvalidInput("device_scan_attempts must be at least 1")
    if kind != "iscsi_host":
        return {"kind": kind, "protocol": None, "connector_kwargs": None, "properties": None,
                "reason": NOTHING_TO_CONNECT[kind]}
    properties = dict((k, v) for k, v in data.items()
                      if k not in ("device_path", bdm.STRIPPED_MARK))
    return {"kind": kind, "protocol": "ISCSI",
            "connector_kwargs": {"use_multipath": bool(use_multipath),
                                 "device_scan_attempts": int(device_scan_attempts)},
            "properties": properties, "reason": None}


def by_path(data):
    """The udev path os-brick waits for (single path): the device Nova gets."""
    return "/dev/disk/by-path/ip-%s-iscsi-%s-lun-%s" % (
        data["target_portal"], data["target_iqn"], data["target_lun"])


def with_device_path(connection_info, device_path):
    """The connection_info as Nova stores it in the BDM after the connect."""
    result = copy.deepcopy(connection_info)
    if device_path:
        result["data"]["device_path"] = device_path
    else:
        result["data"].pop("device_path", None)
    return result
