#!/usr/bin/env python
"""Defines and starts the demo's VM (a diskless TCG guest, as ENVIRONMENT.md describes)
if it is not there yet, and prints its UUID. Defining instances from a Nova-style request
is the boot-from-volume playbook's job; the attach demo only needs a running domain."""

import sys

import libvirt

NAME = sys.argv[1] if len(sys.argv) > 1 else "virtblock-demo"
PORTS = "\n    ".join("<controller type='pci' index='%d' model='pcie-root-port'/>" % i for i in range(1, 5))
XML = """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/><apic/></features>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    %s
    <memballoon model='none'/>
  </devices>
</domain>
""" % (NAME, PORTS)

libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
conn = libvirt.open("qemu:///system")
try:
    dom = conn.lookupByName(NAME)
except libvirt.libvirtError:
    dom = conn.defineXML(XML)
if not dom.isActive():
    dom.create()
print(dom.UUIDString())
