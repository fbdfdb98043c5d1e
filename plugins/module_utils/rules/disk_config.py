# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: The libvirt ``<disk>`` of a volume, from Cinder's ``connection_info``, as Nova's
libvirt volume drivers build it. Pure: no I/O, no adapter imports.

- ``LibvirtBaseVolumeDriver.get_config`` (``nova/virt/libvirt/volume/volume.py``):
  driver ``qemu``/``raw``, cache ``none``, ``<serial>`` = volume id, ``<alias
  name="ua-<volume id>">`` (``config.make_libvirt_device_alias``), ``<blockio>`` from
  ``logical_block_size``/``physical_block_size``, ``<iotune>`` from ``qos_specs``, discard
  ``unmap``, readonly for ``access_mode: ro`` (another non-empty mode is Nova's
  ``InvalidVolumeAccessMode``), shareable for multiattach. No io mode here.
- ``LibvirtISCSIVolumeDriver``: host login, ``type=block`` on ``data.device_path``, and the
  only one of ours that sets io ``native`` (``iscsi.py``: unless
  ``use_default_aio_mode_for_volumes``); network disks and local volumes keep QEMU's default.
- ``LibvirtNetVolumeDriver``: ``type=network``; iSCSI opened by QEMU (``IQN/LUN``,
  portal host and port, ``<auth>`` with a libvirt secret of usage ``iscsi``) and rbd
  (``pool/image``, monitors, ``<auth>`` with the ``ceph`` secret).
- ``LibvirtVolumeDriver`` (``local``): a host block device or file.
- ``LibvirtDriver._set_cache_mode``: a source that can't do O_DIRECT gets cache
  ``writethrough``; io ``native`` only with cache ``none``/``directsync``, else ``threads``.

``build()`` gives the template's variables; ``finalize()`` applies what only the
host knows (target device, secret uuid, O_DIRECT support) to the rendered XML;
``parse_disks()`` reads a domain's disks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import re
import uuid
import xml.etree.ElementTree as ET

from ansible_collections.virtblock.volumes.plugins.module_utils.secrets import secret_values
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidVolumeAccessMode, VolumeDriverNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import qos
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.chap import CHAP_USER_MASK
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    dev_prefix_for_disk_bus, match_device)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import (
    validate_iqn, validate_uuid)

# auto: libvirt gets the host's device when the host connected the volume (the connect put
# data.device_path in the connection_info), else QEMU's initiator opens the target.
ISCSI_INITIATORS = ("host", "qemu", "auto")
SUPPORTED_TYPES = ("iscsi", "rbd", "local")
DIRECT_IO_CACHES = ("none", "directsync")
# LibvirtBaseVolumeDriver.get_config: the access modes it knows.
ACCESS_MODES = ("ro", "rw")
# ... and the block sizes it copies into <blockio> (LibvirtConfigGuestDisk.format_dom).
BLOCK_SIZE_KEYS = ("logical_block_size", "physical_block_size")
_ALIAS_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Namespace of the libvirt secret uuids this collection makes: uuid5(ns, usage id).
SECRET_NAMESPACE = uuid.UUID("5b7c2f0e-4f0a-4b8e-9a57-7669727462c6")


def _require(data, keys, where):
    missing = [k for k in keys if data.get(k) in (None, "")]
    if missing:
        raise InvalidInput("connection_info is missing required key(s): %s"
                           % ", ".join("%s.%s" % (where, k) for k in missing))


def validate(connection_info, iscsi_initiator="host", need_device_path=True, need_secret=True):
    """Check the keys the chosen Nova volume driver reads; return (kind, data).

    kind is ``iscsi_host``, ``iscsi_qemu``, ``rbd`` or ``local``.
    """
    if not isinstance(connection_info, dict):
        raise InvalidInput("connection_info must be a dict with driver_volume_type and data")
    _require(connection_info, ("driver_volume_type", "data"), "connection_info")
    dvt = connection_info["driver_volume_type"]
    data = connection_info["data"]
    if not isinstance(data, dict):
        raise InvalidInput("connection_info.data must be a dict")
    if dvt not in SUPPORTED_TYPES:
        raise VolumeDriverNotFound(dvt)
    if iscsi_initiator not in ISCSI_INITIATORS:
        raise InvalidInput("iscsi_initiator must be one of %s" % ", ".join(ISCSI_INITIATORS))
    if iscsi_initiator == "auto":
        iscsi_initiator = "host" if data.get("device_path") else "qemu"
    if dvt == "iscsi":
        _require(data, ("target_iqn", "target_portal", "target_lun"), "data")
        if data.get("auth_method") == "CHAP" and need_secret:
            # A disconnect works from the BDM's copy, which keeps neither the CHAP secret nor
            # the user (both are credentials here): os-brick's disconnect_volume needs neither.
            _require(data, ("auth_username", "auth_password"), "data")
        if iscsi_initiator == "qemu":
            return "iscsi_qemu", data
        if need_device_path:
            _require(data, ("device_path",), "data")
        return "iscsi_host", data
    if dvt == "rbd":
        _require(data, ("name", "hosts"), "data")
        # Nova zips hosts with ports and writes a port only when there is one; a monitor
        # without a port is Ceph's default (6789), not port="None".
        if data.get("ports") and len(data["hosts"]) != len(data["ports"]):
            raise InvalidInput("connection_info data.hosts and data.ports differ in length")
        if data.get("auth_enabled"):
            _require(data, ("auth_username",), "data")
        return "rbd", data
    _require(data, ("device_path",), "data")
    return "local", data


def with_chap(connection_info, username=None, password=None):
    """The connection_info with the CHAP pair the export was given (not generated) put back.

    A fixed pair reaches the export as a no_log option (an AWX credential through
    VIRTBLOCK_CHAP_*), so Ansible masks it in the export's result: its connection_info
    carries the mask, not the secret, and QEMU's login would fail. The pair given again here
    replaces it. Nova never sees this: Cinder hands it connection_info over its API."""
    if not (username or password) or not isinstance(connection_info, dict):
        return connection_info
    data = connection_info.get("data")
    if not isinstance(data, dict) or data.get("auth_method") != "CHAP":
        return connection_info
    data = dict(data)
    if username:
        data["auth_username"] = username
    if password:
        data["auth_password"] = password
    return dict(connection_info, data=data)


def split_portal(portal):
    """``ip:port`` or ``[v6]:port`` -> (host, port); the host an address or host name."""
    host, sep, port = str(portal).rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise InvalidInput("target_portal %r is not <ip>:<port>" % (portal,))
    return (types.host_address(host, "target_portal host"),
            str(types.port(port, "target_portal port")))


def _checked_source(kind, data):
    """Every connection_info field that reaches the <disk>, checked by type: the XML is
    autoescaped too, but a value that is no address, IQN or path must fail here, with
    its name, rather than in libvirt or QEMU."""
    if kind in ("iscsi_host", "iscsi_qemu"):
        validate_iqn(str(data["target_iqn"]), what="connection_info data.target_iqn")
        types.bounded_int(data["target_lun"], "connection_info data.target_lun", 0, 16383)
    if kind in ("iscsi_host", "local"):
        path = types.plain_text(data["device_path"], "connection_info data.device_path", 4096)
        if not path.startswith("/"):
            raise InvalidInput("connection_info data.device_path %r is not an absolute path" % (path,))
    if kind == "rbd":
        types.plain_text(data["name"], "connection_info data.name", 1024)
        if not isinstance(data["hosts"], list) or not isinstance(data.get("ports") or [], list):
            raise InvalidInput("connection_info data.hosts and data.ports must be lists")
        for host in data["hosts"]:
            types.host_address(host, "connection_info data.hosts[]")
        for port in data.get("ports") or []:
            if port not in (None, ""):
                types.port(port, "connection_info data.ports[]")
        if data.get("secret_uuid"):
            validate_uuid(data["secret_uuid"], what="connection_info data.secret_uuid")
    if data.get("auth_username") not in (None, ""):
        types.plain_text(data["auth_username"], "connection_info data.auth_username")


def secret_usage(kind, data):
    """(usage type, usage id) of the libvirt secret a disk needs, or None.

    iSCSI: Nova's ``_get_secret_uuid`` looks the secret up by usage ``iscsi`` and the
    disk's source name ``IQN/LUN``. rbd: usage ``ceph``, id ``client.<user> secret``.
    """
    if kind == "iscsi_qemu" and data.get("auth_method") == "CHAP":
        return "iscsi", "%s/%s" % (data["target_iqn"], data["target_lun"])
    if kind == "rbd" and data.get("auth_enabled"):
        return "ceph", "client.%s secret" % data["auth_username"]
    return None


def encryption_secret_usage(data, serial):
    """(usage type, usage id) of the passphrase secret of an encrypted volume, or None.

    Nova's native LUKS path (``_attach_encryptor``): ``host.create_secret('volume',
    volume_id, password=passphrase)``, found again by ``find_secret('volume', volume_id)``.
    """
    return ("volume", serial) if data.get("encrypted") is True else None


def secret_value(usage_type, value):
    """The bytes a libvirt secret of *usage_type* holds for *value*.

    A ``ceph`` secret holds the decoded cephx key: libvirt hands QEMU base64(value), as
    ``virsh secret-set-value --base64 KEY`` (what Nova's deployment guides run) stores it;
    the key's base64 text as the value makes QEMU's connect fail ("blockdev-add: error
    connecting: Invalid argument"). An ``iscsi`` (CHAP) secret holds the password text.
    """
    if usage_type != "ceph":
        return value.encode("utf-8")
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) < 16:
        raise InvalidInput("rbd_key is not a cephx key (the base64 text ceph auth print-key prints)")
    return decoded


def secret_uuid(usage_type, usage_id):
    """A stable uuid for the secret, so the controller can render the XML first."""
    return str(uuid.uuid5(SECRET_NAMESPACE, "%s:%s" % (usage_type, usage_id)))


def build(connection_info, serial, bus, dev="", iscsi_initiator="host", boot_order=None,
          multiattach=None, cache="none"):
    """The template variables of the volume's ``<disk>``: ``{"disk": {...}}``.

    *dev* may be empty: the module fills in the next free name on the host.
    """
    kind, data = validate(connection_info, iscsi_initiator)
    _checked_source(kind, data)
    dev_prefix_for_disk_bus(bus)
    if dev and not match_device("/dev/%s" % dev):
        raise InvalidInput("device %r is not a device name" % (dev,))
    if boot_order is not None:
        boot_order = types.bounded_int(boot_order, "boot order", 1, 1000)
    access_mode = data.get("access_mode")
    if access_mode and access_mode not in ACCESS_MODES:
        raise InvalidVolumeAccessMode(access_mode)
    shareable = bool(connection_info.get("multiattach") if multiattach is None else multiattach)
    if shareable:
        cache = "none"     # LibvirtDriver._set_cache_mode: shareable disks use cache none
    io = None
    if kind == "iscsi_host":
        # LibvirtISCSIVolumeDriver.get_config; _set_cache_mode turns it to threads when the
        # cache mode does not use O_DIRECT.
        io = "native" if cache in DIRECT_IO_CACHES else "threads"
    disk = {
        "type": "block", "device": "disk",
        "driver": {"name": "qemu", "type": "raw", "cache": cache, "io": io,
                   "discard": "unmap" if data.get("discard") is True else None},
        # libvirt takes a user alias of [A-Za-z0-9_-] only; a volume id always is.
        "alias": "ua-%s" % serial if _ALIAS_RE.match(serial or "") else None,
        "blockio": dict((key, types.bounded_int(data[key], "connection_info data.%s" % key, 512, 1 << 16))
                        for key in BLOCK_SIZE_KEYS if data.get(key) is not None),
        "source": {}, "auth": None,
        "target": {"dev": dev or "", "bus": bus},
        "serial": serial,
        "readonly": access_mode == "ro",
        "shareable": shareable,
        "iotune": qos.iotune(data.get("qos_specs"))[0],
        "boot_order": boot_order,
        "encryption": None,
    }
    encryption = encryption_secret_usage(data, serial)
    if encryption:
        # LibvirtBaseVolumeDriver.get_config: LibvirtConfigGuestDiskEncryption, format luks,
        # a LibvirtConfigGuestDiskEncryptionSecret of type passphrase (the volume's secret).
        disk["encryption"] = {"format": "luks", "secret_type": "passphrase",
                              "uuid": secret_uuid(*encryption)}
    usage = secret_usage(kind, data)
    if kind in ("iscsi_host", "local"):
        disk["source"] = {"dev": data["device_path"]}
    elif kind == "iscsi_qemu":
        host, port = split_portal(data["target_portal"])
        disk["type"] = "network"
        disk["source"] = {"protocol": "iscsi",
                          "name": "%s/%s" % (data["target_iqn"], data["target_lun"]),
                          "hosts": [{"name": host, "port": port}]}
        if usage:
            disk["auth"] = {"username": data["auth_username"], "secret_type": "iscsi",
                            "usage": usage[1], "uuid": secret_uuid(*usage)}
    else:
        disk["type"] = "network"
        ports = list(data.get("ports") or [])
        ports += [None] * (len(data["hosts"]) - len(ports))
        disk["source"] = {"protocol": "rbd", "name": data["name"],
                          "hosts": [{"name": types.host_address(h),
                                     "port": str(types.port(p)) if p not in (None, "") else None}
                                    for h, p in zip(data["hosts"], ports)]}
        if usage:
            disk["auth"] = {"username": data["auth_username"], "secret_type": "ceph",
                            "usage": usage[1],
                            "uuid": data.get("secret_uuid") or secret_uuid(*usage)}
    return {"disk": disk}


def mask_auth_username(disk_xml):
    """A ``<disk>`` text for output with the iSCSI ``<auth username>`` masked."""
    if not disk_xml or "<auth" not in disk_xml:
        return disk_xml
    disk = _parse(disk_xml)
    auth = disk.find("auth")
    secret = disk.find("auth/secret")
    if auth is not None and (secret is None or secret.get("type") == "iscsi"):
        auth.set("username", CHAP_USER_MASK)
    return to_text(disk)


def secrets_of(connection_info):
    """The secret values in a connection_info's data (the one list: secrets.SECRET_KEYS)."""
    data = (connection_info or {}).get("data") if isinstance(connection_info, dict) else None
    return secret_values(data) if isinstance(data, dict) else []


# ---- the XML side ----------------------------------------------------------------

def _parse(xml_text, what="disk XML"):
    try:
        return ET.fromstring(xml_text)
    except ET.ParseError as err:
        raise InvalidInput("%s is not well-formed: %s" % (what, err))


def to_text(element):
    ET.indent(element)
    return ET.tostring(element, encoding="unicode") + "\n"


def source_key(disk):
    """What identifies where a ``<disk>``'s data comes from (for idempotency)."""
    source = disk.find("source")
    if source is None:
        return (disk.get("type"),)
    hosts = tuple((h.get("name"), h.get("port")) for h in source.findall("host"))
    return (disk.get("type"), source.get("dev") or source.get("file"), source.get("protocol"),
            source.get("name"), hosts)


def describe(disk):
    """A disk element as a dict: dev, bus, serial, source key, XML text."""
    target = disk.find("target")
    serial = disk.findtext("serial")
    return {"dev": target.get("dev") if target is not None else None,
            "bus": target.get("bus") if target is not None else None,
            "serial": serial.strip() if serial else None,
            "source": source_key(disk), "xml": to_text(disk)}


def parse_disks(domain_xml):
    """The ``<disk>`` devices of a domain XML (cdroms and floppies included, since
    they take names too)."""
    root = _parse(domain_xml, "domain XML")
    return [describe(d) for d in root.findall("./devices/disk")]


def find_serial(disks, serial):
    for disk in disks:
        if disk["serial"] == serial:
            return disk
    return None


def finalize(disk_xml, dev, serial, direct_io=True, secret=None, source_is_file=False,
             encryption_secret=None):
    """Apply the host's facts to the rendered ``<disk>``; return (text, description).

    - *dev*: the target device chosen on the host;
    - *direct_io*: False when the source can't be opened with O_DIRECT (tmpfs):
      cache ``writethrough`` and io ``threads``, Nova's fallback;
    - *secret*: the uuid of the libvirt secret the module found or made;
    - *source_is_file*: a ``local`` source that is a regular file, not a block
      device: ``type=file`` with ``<source file=...>`` (libvirt refuses a file as dev);
    - *encryption_secret*: the uuid of the volume's passphrase secret on the host.
    Also checks the template kept the serial (the idempotency key).
    """
    disk = _parse(disk_xml)
    if disk.tag != "disk":
        raise InvalidInput("the disk template must render one <disk> element, not <%s>" % disk.tag)
    target = disk.find("target")
    if target is None:
        raise InvalidInput("the rendered <disk> has no <target>")
    target.set("dev", dev)
    if (disk.findtext("serial") or "").strip() != serial:
        raise InvalidInput("the rendered <disk> must carry <serial>%s</serial>" % serial)
    source = disk.find("source")
    if source_is_file and disk.get("type") == "block" and source is not None:
        disk.set("type", "file")
        source.set("file", source.attrib.pop("dev"))
    driver = disk.find("driver")
    if driver is not None and disk.find("shareable") is not None:
        # LibvirtDriver._set_cache_mode: a shareable disk (multiattach) always gets cache
        # none, whatever the source can do or a template asked: no host page cache may sit
        # between two domains writing the same volume.
        driver.set("cache", "none")
    elif driver is not None and not direct_io and driver.get("cache") in DIRECT_IO_CACHES:
        driver.set("cache", "writethrough")
        if driver.get("io") == "native":
            driver.set("io", "threads")
    secret_el = disk.find("auth/secret")
    if secret_el is not None and secret:
        secret_el.set("uuid", secret)
    encryption_el = disk.find("encryption/secret")
    if encryption_el is not None and encryption_secret:
        encryption_el.set("uuid", encryption_secret)
    return to_text(disk), describe(disk)


def rendered_bus(disk_xml):
    target = _parse(disk_xml).find("target")
    return target.get("bus") if target is not None else None


def secret_of(disk_xml):
    """(type, uuid) of the secret a ``<disk>`` points at, or None."""
    secret = _parse(disk_xml).find("auth/secret")
    if secret is None:
        return None
    return secret.get("type"), secret.get("uuid")


def encryption_secret_of(disk_xml):
    """The uuid of the passphrase secret of a ``<disk>``'s ``<encryption>``, or None."""
    secret = _parse(disk_xml).find("encryption/secret")
    return secret.get("uuid") if secret is not None else None
