#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_domain
short_description: Define, start, stop and undefine an instance's libvirt domain, as Nova's libvirt driver does
description:
  - The domain half of Nova's C(spawn) (C(_get_guest_config), C(_create_guest)) and
    C(destroy) (C(_destroy), C(_undefine_domain)) on the compute host, through libvirt-python.
  - The C(<domain>) comes from a template (C(templates/libvirt_domain.xml.j2)) rendered on the
    controller from O(name), O(uuid), O(memory), O(vcpus), the local O(disks) and
    O(networks). The guest boots from its first disk (C(<boot dev="hd"/>)); the disk with
    C(boot_index) 0 is always C(<prefix>a), as in Nova's libvirt driver.
    Volumes are not in the template - attach them to the defined domain (config only) with
    M(virtblock.volumes.libvirt_disk_attach) (the C(attach_volume) role), then start it.
  - O(kernel), O(initrd) and O(cmdline) give direct kernel boot (Nova's C(kernel_id),
    C(ramdisk_id), C(os_command_line) image properties); here that is the stand-in for a
    bootloader inside the volume.
  - An existing domain (same O(uuid)) is not redefined - its persistent config holds the
    volumes attached since. A different domain with the same O(name) is refused.
  - O(state=absent) stops and undefines the domain and deletes the private iSCSI CHAP
    secrets its disks used when no other domain uses them (Nova disconnects the volumes
    of a destroyed instance).
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.libvirt
options:
  name:
    description: The domain name.
    type: str
    required: true
  uuid:
    description: The instance uuid; the domain's C(<uuid>) and the key it is found by.
    type: str
    required: true
  state:
    description:
      - V(defined) - exists, run state left alone; V(running) - exists and runs;
        V(stopped) - exists and does not run (hard power off); V(absent) - gone.
    type: str
    choices: [defined, running, stopped, absent]
    default: running
  memory:
    description: Memory in MiB (the flavor's C(ram)). Required to define.
    type: int
  vcpus:
    description: Virtual CPUs (the flavor's C(vcpus)). Required to define.
    type: int
  virt_type:
    description:
      - Nova's C([libvirt] virt_type). V(qemu) (TCG) by default because KVM cannot boot
        Linux guests on the development machines; use V(kvm) where it can.
    type: str
    choices: [qemu, kvm]
    default: qemu
  machine:
    description: The machine type.
    type: str
    default: q35
  kernel:
    description: Path on the compute host of a kernel to boot directly.
    type: path
  initrd:
    description: Path on the compute host of the initrd (Nova's ramdisk).
    type: path
  cmdline:
    description: Kernel command line.
    type: str
  disks:
    description:
      - The local disks (M(virtblock.volumes.local_disk)), each with C(path), C(device_name),
        C(disk_bus), optional C(boot_index), C(format) (qcow2), C(cache) (none).
    type: list
    elements: dict
    default: []
  networks:
    description:
      - NICs, each C(type) (V(user) - QEMU user-mode networking, no host bridge) and C(model)
        (virtio). Empty - no NIC (Nova's C(networks=none)).
    type: list
    elements: dict
    default: []
  console_log:
    description: File the serial console is written to (Nova's C(console.log)).
    type: path
  root_ports:
    description: PCIe root ports, the q35 hot-plug slots for volumes (one per volume and spares).
    type: int
    default: 4
  template:
    description: Your own Jinja2 template for the C(<domain>), read on the controller.
    type: path
  domain_xml:
    description: The rendered C(<domain>). Set by the action plugin; not for direct use.
    type: str
notes:
  - Supports C(check_mode) and C(diff_mode) (the domain's state before and after).
requirements:
  - libvirt-python on the compute host, libvirtd running.
'''

EXAMPLES = r'''
- name: Define the instance (not started), so volumes can be attached to its config
  virtblock.volumes.libvirt_domain:
    name: web-1
    uuid: 55888641-5569-4d50-a6c3-eeb8f6d51c34
    memory: 256
    vcpus: 1
    state: defined
    console_log: /var/lib/virtblock/instances/55888641-5569-4d50-a6c3-eeb8f6d51c34/console.log

- name: Start it
  virtblock.volumes.libvirt_domain:
    name: web-1
    uuid: 55888641-5569-4d50-a6c3-eeb8f6d51c34
    memory: 256
    vcpus: 1
    state: running

- name: Destroy and undefine it
  virtblock.volumes.libvirt_domain:
    name: web-1
    uuid: 55888641-5569-4d50-a6c3-eeb8f6d51c34
    state: absent
'''

RETURN = r'''
uuid:
  description: The domain's uuid.
  returned: always
  type: str
running:
  description: Whether the domain runs after the task.
  returned: always
  type: bool
defined:
  description: Whether the domain exists after the task.
  returned: always
  type: bool
created:
  description: Whether the task defined the domain.
  returned: always
  type: bool
secrets_removed:
  description: libvirt secrets deleted with the domain (O(state=absent)).
  returned: always
  type: list
  elements: str
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.domain import (
    DOMAIN_SPEC, set_domain)


class LibvirtDomainModule(VirtblockModule):
    spec = DOMAIN_SPEC

    def run(self):
        uuid = validate_uuid(self.params["uuid"], what="uuid")
        before, after, result = set_domain(self.params, uuid, self.check_mode)
        result.update(changed=before != after, uuid=uuid, **after)
        if self.diff_mode:
            result["diff"] = dict(before=before, after=after,
                                  before_header="domain %s" % uuid, after_header="domain %s" % uuid)
        return result


def main():
    LibvirtDomainModule()()


if __name__ == "__main__":
    main()
