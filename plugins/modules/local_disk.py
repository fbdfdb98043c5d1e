#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: local_disk
short_description: An instance's local disk on the compute host, as Nova's _create_image makes it
description:
  - A C(destination_type=local) block device mapping, as Nova's libvirt driver makes it with
    the Qcow2 image backend - a qcow2 overlay at O(path) on a raw base file cached in
    O(base_dir) (Nova's C(instances/_base)).
  - V(image) is the image root disk; the base is the image converted to raw, named by the
    sha1 of O(image_id) as Nova's image cache does, and reused by every instance of that image.
  - V(ephemeral) is a blank disk formatted with O(guest_format) (default ext4, Nova's default
    for Linux guests), label O(label); the base is C(ephemeral_<GiB>_<hash>).
  - V(swap) is a swap disk (C(mkswap)); the base is C(swap_<MiB>).
  - O(state=absent) removes the disk file; the base stays in the cache (Nova's image cache
    manager ages bases out on its own schedule; this collection leaves that to the operator).
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
options:
  path:
    description: The disk file, e.g. C(<instances_path>/<uuid>/disk), C(disk.eph0), C(disk.swap).
    type: path
    required: true
  state:
    description: Whether the disk should exist.
    type: str
    choices: [present, absent]
    default: present
  kind:
    description: What the disk is. Required with O(state=present).
    type: str
    choices: [image, ephemeral, swap]
  image:
    description: Path of the image on the compute host (any format qemu-img reads). For V(image).
    type: path
  image_id:
    description: The image's id, the cache key of its base (Nova's C(get_cache_fname)). For V(image).
    type: str
  size:
    description:
      - Size as Nova's BDM C(volume_size) gives it - GiB for V(image) and V(ephemeral), MiB
        for V(swap). An image disk defaults to the image's size and is never smaller.
    type: int
  size_mib:
    description: Size in MiB, for tests and small demos. Mutually exclusive with O(size).
    type: int
  guest_format:
    description: Filesystem of an ephemeral disk (Nova's BDM C(guest_format)).
    type: str
    choices: [ext2, ext3, ext4, xfs, vfat, btrfs]
  label:
    description: Filesystem label of an ephemeral disk (Nova's C(ephemeral0)).
    type: str
    default: ephemeral0
  base_dir:
    description: The image cache. Default C(_base) beside the instance directory.
    type: path
notes:
  - Supports C(check_mode) and C(diff_mode).
  - Directories are made 0755 and base files 0644 so QEMU (running as its own user) can
    reach them; libvirt hands the disk file to QEMU's user when the domain starts.
requirements:
  - qemu-img (Debian C(qemu-utils)); mkfs for the chosen filesystem and mkswap (e2fsprogs, util-linux).
'''

EXAMPLES = r'''
- name: Image root disk, a qcow2 overlay on the cached base
  virtblock.volumes.local_disk:
    path: /var/lib/virtblock/instances/55888641-5569-4d50-a6c3-eeb8f6d51c34/disk
    kind: image
    image: /var/lib/virtblock/images/dbbec6ed-017e-45b0-845d-45c73c718ac6
    image_id: dbbec6ed-017e-45b0-845d-45c73c718ac6

- name: A 1 GiB ext4 ephemeral disk
  virtblock.volumes.local_disk:
    path: /var/lib/virtblock/instances/55888641-5569-4d50-a6c3-eeb8f6d51c34/disk.eph0
    kind: ephemeral
    size: 1
    guest_format: ext4

- name: 512 MiB of swap
  virtblock.volumes.local_disk:
    path: /var/lib/virtblock/instances/55888641-5569-4d50-a6c3-eeb8f6d51c34/disk.swap
    kind: swap
    size: 512
'''

RETURN = r'''
path:
  description: The disk file.
  returned: always
  type: str
base:
  description: The cached base file the overlay stands on.
  returned: with O(state=present)
  type: str
  sample: /var/lib/virtblock/instances/_base/5b2c4bf8a1a4e7cba1d6bb2d2bb1c0e8a9f5b3c1
base_created:
  description: Whether the base had to be made (false when the cache had it).
  returned: with O(state=present)
  type: bool
format:
  description: The disk's format (always qcow2) and its filesystem for blank disks.
  returned: with O(state=present)
  type: dict
  sample: {format: qcow2, guest_format: ext4}
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.image_cache import (
    LOCAL_DISK_SPEC, ImageCache)


class LocalDiskModule(VirtblockModule):
    spec = LOCAL_DISK_SPEC

    def run(self):
        p = self.params
        cache = ImageCache(self.module.run_command, self.module.get_bin_path)
        extra = {}
        if p["state"] == "absent":
            changed, before, after = cache.remove(p["path"], self.check_mode)
        else:
            changed, before, after, extra = cache.ensure(p, self.check_mode)
        result = dict(changed=changed, path=p["path"], **extra)
        if self.diff_mode:
            result["diff"] = dict(before=before, after=after)
        return result


def main():
    LocalDiskModule()()


if __name__ == "__main__":
    main()
