# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's ``_get_guest_config`` in small: the variables of ``templates/libvirt_domain.xml.j2``
and the checks on a rendered or existing domain. Pure, no I/O."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    dev_prefix_for_disk_bus, strip_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid

VIRT_TYPES = ("qemu", "kvm")


def _positive(value, what):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("%s must be a whole number, not %r" % (what, value))
    if number < 1:
        raise InvalidInput("%s must be at least 1" % what)
    return number


def build(name, uuid, memory, vcpus, virt_type="qemu", machine="q35", kernel=None, initrd=None,
          cmdline=None, disks=None, networks=None, console_log=None, root_ports=4):
    """The ``domain`` template variable. *memory* in MiB (the flavor's ``ram``); *disks*:
    local disks, each ``path``, ``device_name``, ``disk_bus``,
    ``format`` (qcow2), ``cache`` (none)."""
    if not name:
        raise InvalidInput("the domain needs a name")
    if virt_type not in VIRT_TYPES:
        raise InvalidInput("virt_type must be one of %s" % ", ".join(VIRT_TYPES))
    if initrd and not kernel:
        raise InvalidInput("an initrd needs a kernel")
    out_disks = []
    for disk in disks or []:
        bus = disk.get("disk_bus") or "virtio"
        dev = strip_dev(disk.get("device_name") or "")
        if not dev or not dev.startswith(dev_prefix_for_disk_bus(bus)):
            raise InvalidInput("local disk %s needs a device_name on its bus %s, not %r"
                               % (disk.get("path"), bus, disk.get("device_name")))
        out_disks.append({
            "path": disk["path"], "dev": dev, "bus": bus,
            "format": disk.get("format") or "qcow2", "cache": disk.get("cache") or "none",
            "discard": disk.get("discard")})
    return {"name": name, "uuid": validate_uuid(uuid, what="uuid"),
            "memory_kib": _positive(memory, "memory") * 1024, "vcpus": _positive(vcpus, "vcpus"),
            "virt_type": virt_type, "machine": machine, "kernel": kernel, "initrd": initrd,
            "cmdline": cmdline, "disks": out_disks, "networks": list(networks or []),
            "console_log": console_log, "root_ports": _positive(root_ports, "root_ports")}


def identity(domain_xml):
    """(name, uuid) of a domain XML."""
    try:
        root = ET.fromstring(domain_xml)
    except ET.ParseError as err:
        raise InvalidInput("domain XML is not well-formed: %s" % err)
    if root.tag != "domain":
        raise InvalidInput("the domain template must render one <domain>, not <%s>" % root.tag)
    return (root.findtext("name") or "").strip(), (root.findtext("uuid") or "").strip().lower()
