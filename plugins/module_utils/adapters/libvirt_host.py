# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the one file that talks to libvirt (libvirt-python; never ``virsh``).

Nova's ``nova/virt/libvirt/host.py`` and ``guest.py`` in small: look a domain up,
read its live and persistent XML, attach/detach a device with the live and config
flags, confirm a live detach by polling the live XML (libvirt reports success while
a guest that ignores the unplug keeps the disk), and keep private libvirt secrets.
No Nova rule lives here, and no libvirt object leaves this file: callers get a ``Guest``
(Nova's ``guest.Guest`` in small, wrapping the domain), strings and dicts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import time
import traceback
import xml.etree.ElementTree as ET

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    DeviceDetachFailed, HypervisorUnavailable, InstanceNotFound, VirtblockError)

try:
    import libvirt
    HAS_LIBVIRT = True
    LIBVIRT_IMPORT_ERROR = None
except ImportError:  # reported when a connection is asked for
    libvirt = None
    HAS_LIBVIRT = False
    LIBVIRT_IMPORT_ERROR = traceback.format_exc()

# The option every module that talks to libvirt takes (documented in the libvirt doc fragment).
LIBVIRT_ARGUMENT_SPEC = dict(uri=dict(type="str", default="qemu:///system"))

SECRET_USAGE_IDS = {"iscsi": "target", "ceph": "name", "volume": "volume"}
_UNPLUG_PENDING = ("already in the process of unplug", "unplug request")


def _quiet(_ctx, _err):
    """libvirt prints every error on stderr by default; we raise them instead."""


@contextlib.contextmanager
def connected(uri):
    """A LibvirtHost for the length of a ``with`` block."""
    host = LibvirtHost(uri)
    try:
        yield host
    finally:
        host.close()


class LibvirtHost(object):
    def __init__(self, uri="qemu:///system"):
        if not HAS_LIBVIRT:
            raise VirtblockError(missing_required_lib("libvirt-python"), exception=LIBVIRT_IMPORT_ERROR)
        libvirt.registerErrorHandler(_quiet, None)
        self.uri = uri
        try:
            self.conn = libvirt.open(uri)
        except libvirt.libvirtError as err:
            raise HypervisorUnavailable(uri, err.get_error_message())

    def close(self):
        try:
            self.conn.close()
        except libvirt.libvirtError:
            pass

    # ---- domains -----------------------------------------------------------------
    def domain(self, name_or_uuid):
        if "\0" in str(name_or_uuid):
            # libvirt-python raises ValueError on a NUL; no domain can be named so.
            raise InstanceNotFound(name_or_uuid.replace("\0", "\\0"))
        try:
            if len(name_or_uuid) == 36 and name_or_uuid.count("-") == 4:
                try:
                    return Guest(self, self.conn.lookupByUUIDString(name_or_uuid))
                except libvirt.libvirtError:
                    pass
            return Guest(self, self.conn.lookupByName(name_or_uuid))
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise InstanceNotFound(name_or_uuid)
            raise HypervisorUnavailable(self.uri, err.get_error_message())

    def find_domain(self, uuid=None, name=None):
        """The domain with *uuid* (or *name*), or None."""
        if "\0" in str(uuid or name):
            return None
        try:
            if uuid:
                return Guest(self, self.conn.lookupByUUIDString(uuid))
            return Guest(self, self.conn.lookupByName(name))
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise HypervisorUnavailable(self.uri, err.get_error_message())

    def define(self, domain_xml):
        try:
            return Guest(self, self.conn.defineXML(domain_xml))
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not define the domain: %s" % err.get_error_message())

    # ---- secrets -------------------------------------------------------------------
    def _usage_type(self, usage_type):
        return {"iscsi": libvirt.VIR_SECRET_USAGE_TYPE_ISCSI,
                "ceph": libvirt.VIR_SECRET_USAGE_TYPE_CEPH,
                "volume": libvirt.VIR_SECRET_USAGE_TYPE_VOLUME}[usage_type]

    def _lookup_secret(self, usage_type, usage_id):
        try:
            return self.conn.secretLookupByUsage(self._usage_type(usage_type), usage_id)
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return None
            raise

    def ensure_secret(self, usage_type, usage_id, uuid, value, description, dry_run=False, private=True):
        """A persistent secret with *value* (bytes, see disk_config.secret_value), private
        unless *private* is False; returns (uuid, created).

        The value goes through the API (``setValue``), never into XML, a file or a
        command line. A private secret cannot be read back, so an existing one is
        re-set each time (not reported as a change).
        """
        if not isinstance(value, bytes):
            value = value.encode("utf-8")
        secret = self._lookup_secret(usage_type, usage_id)
        if secret is not None:
            if not dry_run:
                secret.setValue(value)
            return secret.UUIDString(), False
        if dry_run:
            return uuid, True
        root = ET.Element("secret", ephemeral="no", private="yes" if private else "no")
        ET.SubElement(root, "description").text = description
        ET.SubElement(root, "uuid").text = uuid
        usage = ET.SubElement(root, "usage", type=usage_type)
        ET.SubElement(usage, SECRET_USAGE_IDS[usage_type]).text = usage_id
        secret = self.conn.secretDefineXML(ET.tostring(root, encoding="unicode"))
        try:
            secret.setValue(value)
        except libvirt.libvirtError:
            secret.undefine()
            raise
        return secret.UUIDString(), True

    def find_secret(self, usage_type, usage_id):
        """The uuid of the secret for *usage_id*, or None."""
        secret = self._lookup_secret(usage_type, usage_id)
        return secret.UUIDString() if secret is not None else None

    def secret_xml(self, usage_type, usage_id):
        """The secret's XML (never its value), or None."""
        secret = self._lookup_secret(usage_type, usage_id)
        return secret.XMLDesc() if secret is not None else None

    def delete_secret(self, usage_type, usage_id, dry_run=False):
        secret = self._lookup_secret(usage_type, usage_id)
        if secret is None:
            return False
        if not dry_run:
            secret.undefine()
        return True

    def delete_unused_secret(self, uuid, description_prefix=None):
        """Undefine the secret *uuid* unless a domain still uses it; True if it went.
        With *description_prefix*, only a secret whose description starts with it."""
        try:
            secret = self.conn.secretLookupByUUIDString(uuid)
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return False
            raise
        if description_prefix is not None and not self.secret_described(uuid, description_prefix):
            return False
        if self.secret_in_use(uuid):
            return False
        secret.undefine()
        return True

    def guests(self):
        """Every domain, as Guests."""
        try:
            return [Guest(self, dom) for dom in self.conn.listAllDomains()]
        except libvirt.libvirtError as err:
            raise HypervisorUnavailable(self.uri, err.get_error_message())

    def secrets(self):
        """Every secret as ``(uuid, usage type, usage id)`` (``iscsi``/``ceph`` only)."""
        kinds = {libvirt.VIR_SECRET_USAGE_TYPE_ISCSI: "iscsi",
                 libvirt.VIR_SECRET_USAGE_TYPE_CEPH: "ceph"}
        out = []
        for secret in self.conn.listAllSecrets():
            kind = kinds.get(secret.usageType())
            if kind:
                out.append((secret.UUIDString(), kind, secret.usageID()))
        return out

    def secret_described(self, uuid, description_prefix):
        """True when the secret *uuid*'s description starts with *description_prefix*."""
        try:
            secret = self.conn.secretLookupByUUIDString(uuid)
        except libvirt.libvirtError:
            return False
        description = ET.fromstring(secret.XMLDesc()).findtext("description") or ""
        return description.startswith(description_prefix)

    def secret_in_use(self, uuid, exclude_domain=None):
        """True when any domain (live or config) other than *exclude_domain* uses it."""
        for dom in self.conn.listAllDomains():
            guest = Guest(self, dom)
            if exclude_domain is not None and guest.uuid == exclude_domain.uuid:
                continue
            try:
                for live in ((True, False) if guest.is_running() else (False,)):
                    if uuid in guest.xml(live):
                        return True
            except libvirt.libvirtError as err:
                # Another playbook may undefine a domain between the listing and the read.
                if err.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
        return False


class Guest(object):
    """One domain (Nova's ``nova/virt/libvirt/guest.py``): what the drivers may do with it."""

    def __init__(self, host, dom):
        self._host = host
        self._dom = dom
        self.uuid = dom.UUIDString()
        self.name = dom.name()

    def is_running(self):
        return bool(self._dom.isActive())

    def xml(self, live):
        flags = 0 if live else libvirt.VIR_DOMAIN_XML_INACTIVE
        return self._dom.XMLDesc(flags)

    def read(self):
        """``(running, config XML, live XML or "")``, or None when the domain went away
        while it was read (another playbook may undefine it after a listing)."""
        try:
            running = self.is_running()
            return running, self.xml(False), self.xml(True) if running else ""
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                return None
            raise

    def start(self):
        try:
            self._dom.create()
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not start the domain: %s" % err.get_error_message())

    def destroy(self):
        """Nova's ``guest.poweroff`` / ``_destroy``: a hard stop."""
        try:
            if self._dom.isActive():
                self._dom.destroy()
        except libvirt.libvirtError as err:
            if err.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                raise VirtblockError("libvirt could not stop the domain: %s" % err.get_error_message())

    def undefine(self):
        """Nova's ``_undefine_domain``: managed save and snapshot metadata go with it."""
        flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                 | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        try:
            self._dom.undefineFlags(flags)
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not undefine the domain: %s" % err.get_error_message())

    def block_capacity(self, dev):
        """The size in bytes QEMU gives the guest for disk *dev* (``virDomainGetBlockInfo``)."""
        try:
            return int(self._dom.blockInfo(dev)[0])
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not read the size of disk %s: %s" % (dev, err.get_error_message()))

    def block_resize(self, dev, size_bytes):
        """Nova's ``BlockDevice.resize``: QEMU's ``block_resize`` on the live disk, which
        re-reads the size of what it opened (a host device, an iSCSI LUN, an RBD image) and
        tells the guest (virtio-blk config change, a SCSI capacity-changed event)."""
        try:
            self._dom.blockResize(dev, int(size_bytes), libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not resize disk %s to %d bytes: %s"
                                 % (dev, size_bytes, err.get_error_message()))

    def attach(self, disk_xml, live, config):
        flags = ((libvirt.VIR_DOMAIN_AFFECT_LIVE if live else 0)
                 | (libvirt.VIR_DOMAIN_AFFECT_CONFIG if config else 0))
        try:
            self._dom.attachDeviceFlags(disk_xml, flags)
        except libvirt.libvirtError as err:
            raise VirtblockError("libvirt could not attach the disk (%s): %s"
                                 % ("live" if live else "config", err.get_error_message()))

    def detach_config(self, disk_xml):
        try:
            self._dom.detachDeviceFlags(disk_xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        except libvirt.libvirtError as err:
            if err.get_error_code() != libvirt.VIR_ERR_DEVICE_MISSING:
                raise VirtblockError("libvirt could not remove the disk from the domain config: %s"
                                     % err.get_error_message())

    def detach_live(self, disk_xml, still_there, dev, attempts, timeout, interval=0.1):
        """Nova's ``_detach_with_retry`` for the live domain: ask, then poll the live XML
        with *still_there(live_xml)* until the disk is gone, up to *attempts* times
        *timeout* seconds. Raises DeviceDetachFailed with Nova's wording."""
        dom = self._dom
        alias = None
        for _attempt in range(max(1, attempts)):
            if not still_there(self.xml(True)):
                return
            try:
                dom.detachDeviceFlags(disk_xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            except libvirt.libvirtError as err:
                message = err.get_error_message() or ""
                if err.get_error_code() == libvirt.VIR_ERR_DEVICE_MISSING:
                    return
                if not any(text in message for text in _UNPLUG_PENDING):
                    if not dom.isActive():
                        return   # the domain stopped: nothing live left to detach
                    raise DeviceDetachFailed(dev, message)
            deadline = time.monotonic() + timeout
            while True:
                live = self.xml(True) if dom.isActive() else None
                if live is None or not still_there(live):
                    return
                alias = alias or _alias_of(live, dev)
                if time.monotonic() >= deadline:
                    break
                time.sleep(interval)
        raise DeviceDetachFailed(dev, (
            "Run out of retry while detaching device %s with device alias %s from instance %s "
            "from the live domain config. Device is still attached to the guest."
            % (dev, alias, self.uuid)))


def _alias_of(domain_xml, dev):
    root = ET.fromstring(domain_xml)
    for disk in root.findall("./devices/disk"):
        target = disk.find("target")
        if target is not None and target.get("dev") == dev:
            alias = disk.find("alias")
            return alias.get("name") if alias is not None else None
    return None
