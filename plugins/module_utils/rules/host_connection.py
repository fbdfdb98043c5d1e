# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: What Nova's ``_connect_volume`` asks of os-brick for a ``connection_info``. Pure.

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
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types

NOTHING_TO_CONNECT = {
    "iscsi_qemu": "nothing to connect on the host: QEMU's own iSCSI initiator opens the "
                  "target when the disk is attached (libvirt_disk_attach iscsi_initiator=qemu)",
    "rbd": "nothing to connect on the host: libvirt opens rbd volumes as network disks",
    "local": "nothing to connect on the host: the volume is a local block device or file",
}


def is_iscsi(connection_info):
    """Whether the kernel-or-QEMU choice applies: an iSCSI (or iSER) ``connection_info``."""
    return isinstance(connection_info, dict) and connection_info.get("driver_volume_type") in ("iscsi", "iser")


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


# os-brick ``os_brick/initiator/linuxscsi.py:LinuxSCSI.lun_for_addressing``'s modes.
_ADDRESSING_MODES = ("SAM", "transparent", "SAM2", "SAM3-flat")


def _all_targets(data):
    """os-brick ``BaseISCSIConnector._get_all_targets`` (+ ``ISCSIConnector``'s addressing):
    one ``(portal, iqn, lun)`` per portal when the plural keys are there, else the single
    portal, with LUN 0 when ``target_lun`` is missing."""
    if "target_portals" in data and "target_iqns" in data:
        luns = data.get("target_luns") or [data["target_lun"]] * len(data["target_iqns"])
        targets = list(zip(data["target_portals"], data["target_iqns"], luns))
    else:
        targets = [(data["target_portal"], data["target_iqn"], data.get("target_lun", 0))]
    mode = data.get("addressing_mode") or "SAM"
    if mode not in _ADDRESSING_MODES:
        raise disk_config.InvalidInput("Invalid addressing_mode %s" % mode)
    # A whole number before a device path is made of it (a disconnect gets connection_info
    # from a caller); no upper bound under the flat space os-brick addresses.
    return [(portal, iqn, _lun_for_addressing(
        types.bounded_int(lun, "connection_info data.target_lun", 0), mode))
        for portal, iqn, lun in targets]


def _lun_for_addressing(lun, mode):
    """os-brick ``LinuxSCSI.lun_for_addressing``: flat space (+16384) for SAM3-flat, and for
    SAM2 from LUN 256 on."""
    if mode == "SAM3-flat" or (mode == "SAM2" and lun >= 256):
        return lun + 16384
    return lun


def _format_lun_id(lun):
    """os-brick ``LinuxSCSI._format_lun_id``: LUN 256 and up as udev names them."""
    if lun < 256:
        return lun
    return "0x%04x%04x00000000" % (lun & 0xffff, lun >> 16 & 0xffff)


def by_paths(data):
    """The udev paths os-brick looks for, one per portal: ``ISCSIConnector._get_device_path``
    (default transport) with ``_munge_portal``: IPv6 brackets removed (udev forbids them) and
    the LUN in ``_format_lun_id``'s form."""
    return ["/dev/disk/by-path/ip-%s-iscsi-%s-lun-%s"
            % (portal.replace("[", "").replace("]", ""), iqn, _format_lun_id(lun))
            for portal, iqn, lun in _all_targets(data)]


def lingering_sessions(data, sessions):
    """The host's sessions (``adapters/iscsi_sessions``) to this volume's targets: what a
    disconnect must still log out when the volume's device links are gone (a half-done
    earlier disconnect, a link udev lost). Cinder's TgtAdm gives every volume its own
    target, so a session to it is this volume's."""
    iqns = set(iqn for _portal, iqn, _lun in _all_targets(data))
    return [s for s in (sessions or []) if s.get("target_iqn") in iqns]


def by_path(data):
    """The single-path device Nova gets when the first portal answers."""
    return by_paths(data)[0]


def with_device_path(connection_info, device_path):
    """The connection_info as Nova stores it in the BDM after the connect."""
    result = copy.deepcopy(connection_info)
    if device_path:
        result["data"]["device_path"] = device_path
    else:
        result["data"].pop("device_path", None)
    return result


def for_libvirt(steps, volume=None):
    """The ``connection_info`` Nova's libvirt volume driver gets, from the results of the
    steps that ran (an export or initialize_connection, then maybe the host's connect; a
    step that did not run has no ``connection_info``): the one the host's connect returned
    (``data.device_path`` set) when the host connected the volume, else the export's as it
    is (QEMU's initiator or librbd opens the volume itself).

    *volume* (the volume record) adds ``multiattach: true`` for a multiattach volume, as
    Nova's ``DriverVolumeBlockDevice._volume_attach`` does: libvirt's disk is then
    ``<shareable/>``, and the BDM keeps the flag for the detach."""
    infos = [step.get("connection_info") for step in steps or [] if isinstance(step, dict)]
    infos = [info for info in infos if isinstance(info, dict)]
    if not infos:
        raise disk_config.InvalidInput("no step returned a connection_info")
    found = [info for info in infos if (info.get("data") or {}).get("device_path")]
    info = (found or infos)[0]
    if isinstance(volume, dict) and volume.get("multiattach"):
        info = dict(info, multiattach=True)
    return info
