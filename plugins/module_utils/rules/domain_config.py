# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's ``_get_guest_config`` in small: the variables of ``templates/libvirt_domain.xml.j2``
and the checks on a rendered or existing domain. Pure, no I/O."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    dev_prefix_for_disk_bus, match_device, strip_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid

VIRT_TYPES = ("qemu", "kvm")
NETWORK_TYPES = ("user",)


def _positive(value, what, maximum=types.MAX_INT):
    return types.bounded_int(value, what, 1, maximum)


def _networks(networks):
    out = []
    for index, net in enumerate(networks or []):
        if not isinstance(net, dict):
            raise InvalidInput("networks[%d] must be a dict with type and model" % index)
        out.append({"type": types.one_of(net.get("type"), NETWORK_TYPES, "networks[%d].type" % index),
                    "model": types.nic_model(net.get("model") or "virtio")})
    return out


def _path(value, what):
    if value in (None, ""):
        return None
    types.plain_text(value, what, 4096)
    if not value.startswith("/"):
        raise InvalidInput("%s %r must be an absolute path" % (what, value))
    return value


def build(name, uuid, memory, vcpus, virt_type="qemu", machine="q35", kernel=None, initrd=None,
          cmdline=None, disks=None, networks=None, console_log=None, root_ports=4):
    """The ``domain`` template variable. *memory* in MiB (the flavor's ``ram``); *disks*:
    local disks, each ``path``, ``device_name``, ``disk_bus``,
    ``format`` (qcow2), ``cache`` (none)."""
    if not name:
        raise InvalidInput("the domain needs a name")
    types.plain_text(name, "name")
    types.machine_type(machine)
    if virt_type not in VIRT_TYPES:
        raise InvalidInput("virt_type must be one of %s" % ", ".join(VIRT_TYPES))
    if initrd and not kernel:
        raise InvalidInput("an initrd needs a kernel")
    out_disks = []
    for disk in disks or []:
        if not isinstance(disk, dict):
            raise InvalidInput("each local disk must be a dict, not %r" % (disk,))
        bus = disk.get("disk_bus") or "virtio"
        dev = strip_dev(disk.get("device_name") or "")
        if (not isinstance(dev, str) or not dev.startswith(dev_prefix_for_disk_bus(bus))
                or not match_device("/dev/" + dev)):
            raise InvalidInput("local disk %s needs a device_name on its bus %s, not %r"
                               % (disk.get("path"), bus, disk.get("device_name")))
        out_disks.append({
            "path": _path(disk.get("path"), "local disk path"), "dev": dev, "bus": bus,
            "format": types.disk_format(disk.get("format") or "qcow2"),
            "cache": types.cache_mode(disk.get("cache") or "none"),
            "discard": types.discard_mode(disk.get("discard"))})
        if out_disks[-1]["path"] is None:
            raise InvalidInput("local disk %s needs a path" % dev)
    return {"name": name, "uuid": validate_uuid(uuid, what="uuid"),
            # Nova's flavor limits (MAX_INT MiB, MAX_INT vcpus); libvirt refuses what the host lacks.
            "memory_kib": _positive(memory, "memory") * 1024, "vcpus": _positive(vcpus, "vcpus"),
            "virt_type": virt_type, "machine": machine, "kernel": _path(kernel, "kernel"),
            "initrd": _path(initrd, "initrd"),
            "cmdline": types.plain_text(cmdline, "cmdline", 4096) if cmdline else cmdline,
            "disks": out_disks, "networks": _networks(networks),
            "console_log": _path(console_log, "console_log"),
            # nova.conf [libvirt] num_pcie_ports: at most 28.
            "root_ports": _positive(root_ports, "root_ports", types.MAX_PCIE_PORTS)}


def identity(domain_xml):
    """(name, uuid) of a domain XML."""
    try:
        root = ET.fromstring(domain_xml)
    except ET.ParseError as err:
        raise InvalidInput("domain XML is not well-formed: %s" % err)
    if root.tag != "domain":
        raise InvalidInput("the domain template must render one <domain>, not <%s>" % root.tag)
    return (root.findtext("name") or "").strip(), (root.findtext("uuid") or "").strip().lower()
