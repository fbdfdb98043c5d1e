# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: ``connection_info`` as Cinder's ``initialize_connection`` returns it for iSCSI.

Shape of ``cinder/volume/targets/iscsi.py:_get_iscsi_properties`` plus what the
volume manager adds (``access_mode``, ``qos_specs``, ``discard``): the single-portal
keys always, and the plural ``target_portals``/``target_iqns``/``target_luns`` only
when secondary portals are configured, as Cinder does. Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidConnectorException, InvalidInput)

ACCESS_MODES = ("rw", "ro")


def validate_connector(connector):
    """Cinder ``cinder/volume/targets/iscsi.py:ISCSITarget.validate_connector``: the connector
    must name the initiator, else ``InvalidConnectorException(missing='initiator')``. (Cinder
    only logs "The volume driver requires the iSCSI initiator name in the connector.")"""
    if connector is None:
        return True
    if not isinstance(connector, dict) or "initiator" not in connector:
        raise InvalidConnectorException("initiator")
    return True


def iscsi_connection_info(volume_id, iqn, portals, lun, chap=None, access_mode="rw",
                          qos_specs=None, encrypted=False, discard=False, driver_volume_type="iscsi"):
    """Build the dict. *portals* is the list of ``ip:port``, primary first; *chap* is
    ``(username, password)`` or None."""
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
    if len(portals) > 1:
        data["target_portals"] = list(portals)
        data["target_iqns"] = [iqn] * len(portals)
        data["target_luns"] = [lun] * len(portals)
    if chap:
        data["auth_method"] = "CHAP"
        data["auth_username"] = chap[0]
        data["auth_password"] = chap[1]
    return {"driver_volume_type": driver_volume_type, "data": data}
