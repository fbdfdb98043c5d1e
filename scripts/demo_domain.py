#!/usr/bin/env python
"""Defines and starts the demo's VM if it is not there yet and prints its UUID.

The VM is the tests' small TCG guest (Debian's kernel + a busybox initramfs, built once into
.build/guest as ../shared/ENVIRONMENT.md describes): it has no disk of its own and reports
on its serial console (argv[2]) every disk it sees, with the disk's serial. Defining
instances from a Nova-style request is boot_from_volume.yml's job; the attach demo only
needs a running domain."""

import os
import re
import sys

import libvirt

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from support.guest import build  # noqa: E402  pylint: disable=wrong-import-position

NAME = sys.argv[1] if len(sys.argv) > 1 else "virtblock-demo"
CONSOLE = sys.argv[2] if len(sys.argv) > 2 else "/var/lib/virtblock/demo-console.log"
PORTS = "\n    ".join("<controller type='pci' index='%d' model='pcie-root-port'/>" % i
                      for i in range(1, 5))
XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{kernel}</kernel><initrd>{initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline></os>
  <features><acpi/><apic/></features>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    {ports}
    <serial type='file'><source path='{console}'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""

kernel, initrd = build()
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
conn = libvirt.open("qemu:///system")
try:
    dom = conn.lookupByName(NAME)
    defined = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    if "<kernel>" not in defined:
        # An older demo's diskless VM without the reporting guest: make it anew.
        if dom.isActive():
            dom.destroy()
        dom.undefine()
        raise LookupError(NAME)
    if not dom.isActive() and "<kernel>%s</kernel>" % kernel not in defined:
        # Defined by a checkout that is gone (its kernel with it): point it at ours, keeping
        # its UUID and the disks the demo attached to its config.
        defined = re.sub(r"<kernel>[^<]*</kernel>", "<kernel>%s</kernel>" % kernel, defined)
        defined = re.sub(r"<initrd>[^<]*</initrd>", "<initrd>%s</initrd>" % initrd, defined)
        dom = conn.defineXML(defined)
except (libvirt.libvirtError, LookupError):
    os.makedirs(os.path.dirname(CONSOLE), exist_ok=True)
    dom = conn.defineXML(XML.format(name=NAME, kernel=kernel, initrd=initrd, ports=PORTS,
                                    console=CONSOLE))
if not dom.isActive():
    dom.create()
print(dom.UUIDString())
