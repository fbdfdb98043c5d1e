#!/usr/bin/env python
"""The scenarios' instance: ``domain.py define NAME UUID`` defines and starts a diskless
VM (q35, a virtio-scsi controller, hot-plug ports) unless it runs; ``domain.py remove NAME``
destroys and undefines it. Prints "changed" when it changed something."""

import sys

import libvirt

PORTS = "".join("<controller type='pci' index='%d' model='pcie-root-port'/>" % i for i in range(1, 5))
XML = ("<domain type='qemu'><name>{name}</name><uuid>{uuid}</uuid><memory unit='MiB'>64</memory>"
       "<vcpu>1</vcpu><os><type arch='x86_64' machine='q35'>hvm</type></os>"
       "<features><acpi/><apic/></features><devices>"
       "<controller type='scsi' index='0' model='virtio-scsi'/>"
       "<controller type='pci' index='0' model='pcie-root'/>" + PORTS +
       "<memballoon model='none'/></devices></domain>")

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
conn = libvirt.open("qemu:///system")
action, name = sys.argv[1], sys.argv[2]
try:
    dom = conn.lookupByName(name)
except libvirt.libvirtError:
    dom = None
changed = False
if action == "define":
    if dom is None:
        dom = conn.defineXML(XML.format(name=name, uuid=sys.argv[3]))
        changed = True
    if not dom.isActive():
        dom.create()
        changed = True
elif dom is not None:
    if dom.isActive():
        dom.destroy()
    dom.undefine()
    changed = True
print("changed" if changed else "unchanged")
