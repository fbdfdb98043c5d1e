# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the one adapter to os-brick (Nova's and Cinder's host-side connector library).

os-brick is imported lazily (about 0.4 s). Its privileged calls run in this process
(``set_client_mode(False)``): the module runs as root and the hosts have no ``sudo``
for a privsep helper. ``connect_volume`` takes oslo.concurrency locks, which need
``OSLO_LOCK_PATH``; a private default is set when the environment has none.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import logging
import os
import socket
import traceback
import warnings

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    VirtblockError, VolumeDeviceNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.files import ensure_dir

DEFAULT_LOCK_PATH = "/var/lib/virtblock/locks"
_LOADED = {}


def _os_brick():
    if not _LOADED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # eventlet's deprecation notice on import
            try:
                from os_brick import exception, privileged
                from os_brick.initiator import connector
            except ImportError:
                raise VirtblockError(missing_required_lib("os-brick", reason="on the compute host"),
                                     exception=traceback.format_exc())
        privileged.default.set_client_mode(False)
        # os-brick logs through the root logger; keep its chatter out of the module's output.
        log = logging.getLogger("os_brick")
        log.addHandler(logging.NullHandler())
        log.propagate = False
        _LOADED.update(connector=connector, exception=exception)
    return _LOADED


def kernel_initiator_present():
    """Whether the host's kernel has an iSCSI TCP transport (``iscsi_tcp``)."""
    return os.path.exists("/sys/module/iscsi_tcp") or os.path.exists("/sys/class/iscsi_transport/tcp")


def default_ip():
    try:
        return socket.gethostbyname(socket.getfqdn())
    except OSError:
        return "127.0.0.1"


def connector_properties(my_ip=None, multipath=False, enforce_multipath=False, host=None):
    """os-brick ``get_connector_properties``, as Nova's ``get_volume_connector``."""
    brick = _os_brick()
    return brick["connector"].get_connector_properties(
        None, my_ip or default_ip(), multipath, enforce_multipath, host=host)


class BrickConnection(object):
    """One volume's host connection through an os-brick connector."""

    def __init__(self, protocol, connector_kwargs, lock_path=None):
        os.environ.setdefault("OSLO_LOCK_PATH", lock_path or DEFAULT_LOCK_PATH)
        ensure_dir(os.environ["OSLO_LOCK_PATH"])
        brick = _os_brick()
        self.exception = brick["exception"]
        self.connector = brick["connector"].InitiatorConnector.factory(
            protocol, None, **connector_kwargs)

    def existing_paths(self, properties):
        try:
            return [p for p in self.connector.get_volume_paths(properties) if os.path.exists(p)]
        except Exception:  # pylint: disable=broad-except
            return []

    def connect(self, properties):
        try:
            info = self.connector.connect_volume(properties)
        except Exception as err:  # pylint: disable=broad-except
            # os-brick has already logged out and deleted the node record it made.
            cause = "" if kernel_initiator_present() else (
                "This host has no kernel iSCSI initiator (no iscsi_tcp transport, iscsiadm "
                "cannot log in); connect with iscsi_initiator=qemu instead.")
            reason = "os-brick connect_volume failed: %s: %s" % (type(err).__name__, err)
            raise VolumeDeviceNotFound(host_connection.by_path(properties),
                                       ("%s %s" % (cause, reason)).strip())
        return info.get("path")

    def disconnect(self, properties, device_path):
        self.connector.disconnect_volume(properties, {"path": device_path, "type": "block"},
                                         force=True, ignore_errors=False)
