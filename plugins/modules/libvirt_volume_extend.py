#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_volume_extend
short_description: Make a guest see its attached volume's new size, as Nova's extend_volume does
description:
  - Runs on the compute host, after the volume (and its iSCSI LUN) grew on the storage side
    (M(virtblock.volumes.volume) with a larger size). Nova's C(LibvirtDriver.extend_volume).
  - For a host iSCSI device (the kernel initiator, O(connection_info) of type C(iscsi) and the disk
    a C(block) disk) os-brick's C(extend_volume) first rescans the device.
  - Then, while the domain runs, QEMU is asked to re-read the size (libvirt C(blockResize)); it tells
    the guest, which sees the new size without a reboot (a virtio disk's C(/sys/block/vdX/size)).
    For a network disk (QEMU's own iSCSI initiator, RBD) this is the only step.
  - A domain that is not running needs nothing (QEMU reads the size when it starts), as in Nova.
  - A disk that already has the size is left alone (C(changed=false)).
version_added: 0.3.0
author: virtblock developers (!UNKNOWN)
options:
  domain:
    description: Name or UUID of the domain.
    type: str
    required: true
  volume_id:
    description: The volume's UUID, the serial of its disk in the domain.
    type: str
    required: true
  new_size:
    description: The volume's new size in GiB (Cinder's C(new_size)).
    type: int
  new_size_mib:
    description: The new size in MiB, for tests and small demos. Mutually exclusive with O(new_size).
    type: int
  connection_info:
    description:
      - The volume's C(connection_info) (the BDM's copy will do - no secret is needed for a rescan).
        Needed only to rescan a host iSCSI device.
    type: dict
  use_multipath:
    description: Rescan through multipath (as the volume was connected).
    type: bool
    default: false
  lock_path:
    description: os-brick's lock directory (C(OSLO_LOCK_PATH)).
    type: path
  encryption_payload_offset:
    description:
      - For an encrypted (LUKS) volume, whose disk has C(<encryption>), the bytes of its LUKS header
        (M(virtblock.volumes.volume) returns it as RV(virtblock.volumes.volume#module:encryption_payload_offset)).
        The guest is given the new size less the header, as Nova's C(_resize_attached_encrypted_volume)
        resizes to C(new_size - payload_offset); required for such a disk.
    type: int
    version_added: 0.3.0
  uri:
    description: libvirt connection URI.
    type: str
    default: qemu:///system
notes:
  - Supports C(check_mode) and C(diff_mode) (the size the guest sees, before and after).
  - A local file disk smaller than asked is refused - QEMU would grow the file itself, bypassing the
    storage side.
requirements:
  - libvirt-python; os-brick for the host iSCSI path.
'''

EXAMPLES = r'''
- name: Tell the guest its volume is now 20 GiB
  virtblock.volumes.libvirt_volume_extend:
    domain: "{{ instance_uuid }}"
    volume_id: "{{ volume_id }}"
    new_size: 20
    connection_info: "{{ bdm.connection_info }}"
'''

RETURN = r'''
steps:
  description: What was done - C(rescan) (os-brick) and/or C(block_resize) (QEMU); empty when nothing was needed.
  returned: always
  type: list
  elements: str
  sample: [block_resize]
device:
  description: The disk's target device in the domain.
  returned: always
  type: str
  sample: vdb
running:
  description: Whether the domain runs.
  returned: always
  type: bool
size_bytes:
  description: The size in bytes QEMU gives the guest after the task (null when the domain is not running).
  returned: always
  type: int
  sample: 21474836480
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.guest_extend import VOLUME_EXTEND_SPEC, extend


class LibvirtVolumeExtendModule(VirtblockModule):
    spec = VOLUME_EXTEND_SPEC

    def run(self):
        result, before, after = extend(self.params, self.check_mode)
        if self.diff_mode:
            result["diff"] = dict(before=before, after=after)
        return result


def main():
    LibvirtVolumeExtendModule()()


if __name__ == "__main__":
    main()
