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


def rbd_connection_info(pool, volume_id, hosts, ports, user=None, cluster_name="ceph", secret_uuid=None,
                        keyring=None, access_mode="rw", qos_specs=None, encrypted=False):
    """Cinder's ``RBDDriver.initialize_connection`` plus what the volume manager adds
    (``qos_specs``, ``access_mode``, ``encrypted``). *hosts*/*ports* are the monitors as
    ``_get_mon_addrs`` reads them from the monmap; ``keyring`` is the keyring file's text
    where Cinder sends it (``rbd_keyring_conf`` set), else None as in Cinder."""
    if not hosts or len(hosts) != len(ports):
        raise InvalidInput("the cluster's monmap gave no monitor addresses")
    if access_mode not in ACCESS_MODES:
        raise InvalidInput("access_mode %r is not one of %s" % (access_mode, ", ".join(ACCESS_MODES)))
    return {"driver_volume_type": "rbd", "data": {
        "name": "%s/volume-%s" % (pool, volume_id),
        "hosts": list(hosts),
        "ports": [str(port) for port in ports],
        "cluster_name": cluster_name,
        "auth_enabled": user is not None,
        "auth_username": user,
        "secret_type": "ceph",
        "secret_uuid": secret_uuid,
        "volume_id": volume_id,
        "discard": True,
        "keyring": keyring,
        "qos_specs": qos_specs or None,
        "access_mode": access_mode,
        "encrypted": bool(encrypted),
    }}
