# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""``connection_info`` as Cinder's ``initialize_connection`` returns it for iSCSI.

Shape of ``cinder/volume/targets/iscsi.py:_get_iscsi_properties`` plus what the
volume manager adds (``access_mode``, ``qos_specs``, ``discard``): the single-portal
keys always, and the plural ``target_portals``/``target_iqns``/``target_luns`` only
when secondary portals are configured, as Cinder does. Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, VolumeBackendAPIException)

ACCESS_MODES = ("rw", "ro")


def validate_connector(connector):
    """Cinder ``ISCSITarget.validate_connector``: the connector must name the initiator."""
    if connector is None:
        return True
    if not isinstance(connector, dict) or "initiator" not in connector:
        raise VolumeBackendAPIException(
            "The volume driver requires the iSCSI initiator name in the connector.")
    return True


def iscsi_connection_info(volume_id, iqn, portals, lun, chap=None, access_mode="rw",
                          qos_specs=None, encrypted=False, discard=False, driver_volume_type="iscsi",
                          multipath=False):
    """Build the dict. *portals* is the list of ``ip:port``, primary first; *chap* is
    ``(username, password)`` or None; *multipath* is the connector's ``multipath``.

    Cinder's ``_get_iscsi_properties``: the plural keys when there is more than one
    portal *or* the connector asks for multipath (then even for a single portal)."""
    if not portals:
        raise InvalidInput("at least one target portal is required")
    if access_mode not in ACCESS_MODES:
        raise InvalidInput("access_mode %r is not one of %s" % (access_mode, ", ".join(ACCESS_MODES)))
    data = {
        "target_discovered": False,
        "target_iqn": iqn,
        "target_portal": portals[0],
        "target_lun": lun,
        "volume_id": volume_id,
        "access_mode": access_mode,
        "encrypted": bool(encrypted),
        "qos_specs": qos_specs or None,
        "discard": bool(discard),
    }
    if len(portals) > 1 or multipath:
        data["target_portals"] = list(portals)
        data["target_iqns"] = [iqn] * len(portals)
        data["target_luns"] = [lun] * len(portals)
    if chap:
        data["auth_method"] = "CHAP"
        data["auth_username"] = chap[0]
        data["auth_password"] = chap[1]
    return {"driver_volume_type": driver_volume_type, "data": data}
