#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_domain_info
short_description: Whether an instance's libvirt domain exists, runs, and which disk names it holds
description:
  - What Nova's compute manager knows about an instance before it attaches or detaches a
    volume - its power state and the block devices it has - read from libvirtd on the
    compute host through libvirt-python.
  - A domain that is not defined is not an error - RV(exists) is false. The attach and
    detach roles read this as Nova's C(shelved_offloaded) (no domain on any host).
  - RV(device_names) (config and live together) is what
    M(virtblock.volumes.bdm_record) takes as O(virtblock.volumes.bdm_record#module:in_use_device_names)
    when it reserves a device name, as Nova's C(reserve_block_device_name) counts the
    instance's disks.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.libvirt
options:
  domain:
    description: The libvirt domain, by name or UUID (Nova's instance uuid).
    type: str
    required: true
notes:
  - Reads only; never changes anything. Supports C(check_mode).
requirements:
  - libvirt-python on the compute host, libvirtd running.
'''

EXAMPLES = r'''
- name: Is the instance there, and running
  virtblock.volumes.libvirt_domain_info:
    domain: 6edad723-c62d-40d4-a29e-d9ac6a3247ee
  register: instance
'''

RETURN = r'''
exists:
  description: Whether the domain is defined (or running) on this host.
  returned: always
  type: bool
running:
  description: Whether the domain runs (a live attach is possible).
  returned: always
  type: bool
uuid:
  description: The domain's UUID.
  returned: when RV(exists)
  type: str
name:
  description: The domain's name.
  returned: when RV(exists)
  type: str
device_names:
  description: The target devs of every disk, cdrom and floppy, persistent and live, sorted.
  returned: always
  type: list
  elements: str
  sample: [vda, vdb]
disks:
  description: The disks (dev, bus, serial), persistent and live, one item per target dev.
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.guest_disks import (
    DOMAIN_INFO_SPEC, domain_info)


class LibvirtDomainInfoModule(VirtblockModule):
    spec = DOMAIN_INFO_SPEC

    def run(self):
        return dict(changed=False, **domain_info(self.params["uri"], self.params["domain"]))


def main():
    LibvirtDomainInfoModule()()


if __name__ == "__main__":
    main()
