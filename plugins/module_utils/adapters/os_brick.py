# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the one adapter to os-brick (Nova's and Cinder's host-side connector library).

os-brick is imported lazily (about 0.4 s). Its privileged calls run in this process
(``set_client_mode(False)``): the module runs as root and the hosts have no ``sudo``
for a privsep helper. ``connect_volume`` takes oslo.concurrency locks, which need
``OSLO_LOCK_PATH``; a private default is set when the environment has none, and
``os_brick.setup()`` gets it once per process, as Nova's and Cinder's services call it at
start (os-brick warns that a connect without it will break on its next release).

``device_path``: os-brick's ``connect_volume`` returns ``/dev/sdX`` (``/dev/dm-N`` with
multipath), names the kernel may hand to another disk after a reconnect, while an
unchanged rerun only finds the udev links (``get_volume_paths``). Nova stores whatever
``connect_volume`` returned; we report the stable link instead, the same on connect and
on every rerun: the primary portal's ``/dev/disk/by-path/...-lun-N`` link for one path, the
multipath map's ``/dev/mapper/<name>`` for multipath.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import logging
import os
import shutil
import socket
import time
import traceback
import warnings

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    VirtblockError, VolumeDeviceNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.files import ensure_dir

DEFAULT_LOCK_PATH = "/var/lib/virtblock/locks"
LINK_WAIT = 30.0
_LOADED = {}


def _os_brick():
    if not _LOADED:
        os.environ.setdefault("OSLO_LOCK_PATH", DEFAULT_LOCK_PATH)
        # os-brick's privsep pulls in eventlet, whose green DNS resolver (dnspython) is a
        # quarter of the import (0.2 s here, 5 s in a TCG compute node) and is never used:
        # os-brick resolves no names. eventlet's own switch turns it off.
        os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
        ensure_dir(os.environ["OSLO_LOCK_PATH"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # eventlet's deprecation notice on import
            try:
                from os_brick import exception, privileged
                from os_brick.initiator import connector
            except ImportError:
                raise VirtblockError(missing_required_lib("os-brick", reason="on the compute host"),
                                     exception=traceback.format_exc())
        privileged.default.set_client_mode(False)
        import os_brick
        from oslo_concurrency import lockutils
        from oslo_config import cfg
        lockutils.set_defaults(os.environ["OSLO_LOCK_PATH"])
        os_brick.setup(cfg.CONF)
        # os-brick logs through the root logger; keep its chatter out of the module's output.
        log = logging.getLogger("os_brick")
        log.addHandler(logging.NullHandler())
        log.propagate = False
        _LOADED.update(connector=connector, exception=exception)
    return _LOADED


def kernel_initiator_present():
    """Whether the host's kernel has an iSCSI TCP transport (``iscsi_tcp``)."""
    return os.path.exists("/sys/module/iscsi_tcp") or os.path.exists("/sys/class/iscsi_transport/tcp")


def _loadable(module):
    """Whether the running kernel can load *module* (it is in ``modules.dep``)."""
    try:
        with open("/lib/modules/%s/modules.dep" % os.uname().release) as handle:
            return any(("/%s.ko" % module) in line.split(":", 1)[0] for line in handle)
    except OSError:
        return False


def kernel_initiator():
    """Whether this host can log in with the kernel: iscsiadm and iscsi_tcp (loaded or
    loadable). What ``iscsi_initiator: auto`` decides by; no os-brick import."""
    return bool(shutil.which("iscsiadm")) and (kernel_initiator_present() or _loadable("iscsi_tcp"))


def host_initiators():
    """What this host can do for iSCSI, for choosing between the host and QEMU paths.

    ``kernel_initiator``: iscsiadm is installed and the kernel has (or can load) iscsi_tcp;
    ``multipathd``: ``multipathd show status`` answers, os-brick's own test
    (``LinuxSCSI.is_multipath_running``).
    """
    kernel = kernel_initiator()
    multipathd = False
    if kernel and shutil.which("multipathd"):
        from oslo_concurrency import processutils
        from os_brick.initiator import linuxscsi
        multipathd = linuxscsi.LinuxSCSI.is_multipath_running(None, execute=processutils.execute)
    return {"kernel_initiator": kernel, "multipathd": bool(multipathd)}


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
        brick = _os_brick()
        self.exception = brick["exception"]
        self.multipath = bool(connector_kwargs.get("use_multipath"))
        self.connector = brick["connector"].InitiatorConnector.factory(
            protocol, None, **connector_kwargs)

    def current_path(self, properties):
        """The stable device path of a connected volume, or None."""
        return current_iscsi_path(properties, self.multipath)

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
        device = info.get("path")
        # udev makes the links (by-path, /dev/mapper/<map>) after os-brick saw the
        # device: wait for them, bounded; a bare /dev/dm-N or /dev/sdX is the fallback.
        deadline = time.monotonic() + LINK_WAIT
        while True:
            stable = self.current_path(properties)
            linked = stable and not stable.startswith(("/dev/dm-", "/dev/sd"))
            if linked and os.path.realpath(stable) == os.path.realpath(device):
                return stable
            if time.monotonic() > deadline:
                return stable or device
            time.sleep(0.25)

    def extend(self, properties):
        """os-brick ``extend_volume``: rescan the connected device (every path, and the
        multipath map); returns its new size in bytes."""
        try:
            new_size = self.connector.extend_volume(properties)
        except Exception as err:  # pylint: disable=broad-except
            raise VirtblockError("os-brick extend_volume failed: %s: %s" % (type(err).__name__, err))
        if new_size is None:
            # Nova: os-brick ignored a failure and returned no size (VolumeExtendFailed)
            raise VirtblockError("os-brick extend_volume returned no new size")
        return int(new_size)

    def disconnect(self, properties, device_path):
        """Remove the devices and log out; *device_path* None when only the session is
        left (os-brick finds the devices from the session, ``utils.get_dev_path``)."""
        self.connector.disconnect_volume(properties, {"path": device_path, "type": "block"},
                                         force=True, ignore_errors=False)


def _holders(device):
    """The device-mapper devices built on *device* (``/sys/block/sdX/holders``)."""
    name = os.path.basename(os.path.realpath(device))
    try:
        return sorted(os.listdir("/sys/block/%s/holders" % name))
    except OSError:
        return []


def _dm_name(dm):
    try:
        with open("/sys/block/%s/dm/name" % dm) as handle:
            return handle.read().strip()
    except OSError:
        return None


def connected_iscsi_paths(properties):
    """os-brick ``ISCSIConnector.get_volume_paths`` (default transport) without importing
    os-brick (20 s in a TCG compute node): the by-path links of the volume's portals that
    exist. A rerun on a connected volume, and a disconnect of a gone one, need no more."""
    return [p for p in host_connection.by_paths(properties) if os.path.exists(p)]


def current_iscsi_path(properties, multipath):
    """The stable device path of a connected iSCSI volume, or None; no os-brick import."""
    return stable_device_path(properties, connected_iscsi_paths(properties), multipath)


def stable_device_path(properties, paths, multipath):
    """The link that names this volume whatever sdX/dm-N the kernel gave it."""
    if not paths:
        return None
    if multipath:
        for path in paths:
            for dm in _holders(path):
                name = _dm_name(dm)
                if name and os.path.exists("/dev/mapper/" + name):
                    return "/dev/mapper/" + name
                return "/dev/" + dm
    primary = host_connection.by_path(properties)
    return primary if primary in paths else paths[0]
