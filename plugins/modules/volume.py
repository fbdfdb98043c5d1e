#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: volume
short_description: Create, extend and delete a volume's backing store, as Cinder's create_volume does
description:
  - Runs on the storage host. Makes the bytes of a volume, C(volume-<id>), as Cinder's
    C(create_volume) flow does - blank, from an image (any format C(qemu-img) reads,
    converted to raw, and the volume marked bootable), or copied from another volume or
    a snapshot.
  - A larger size extends the volume; a smaller one is refused, as Cinder refuses to shrink.
  - O(state=absent) deletes it, refused while the volume is exported over iSCSI unless O(force=true),
    which removes the export first.
  - O(backend=rbd) keeps the volume as the RBD image C(<rbd_pool>/volume-<id>) as Cinder's RBD driver
    does - blank; from a Glance image in the RBD store (O(image_location), a copy-on-write clone of
    its protected snapshot); from a local image file (O(image), converted in by qemu-img); from a
    snapshot (a clone of C(volume-<src>@snapshot-<id>), flattened with
    O(rbd_flatten_volume_from_snapshot)); from another volume (a C(<dest>.clone_snap) snapshot of the
    source cloned, flattened once the clone chain is O(rbd_max_clone_depth) deep). Its delete is
    refused while the image has watchers (an attached volume) or snapshots, with Cinder's
    C(VolumeIsBusy) wording; O(force) does not lift either, as Cinder's force-delete does not.
    The key is read from O(rbd_keyring) or given as O(rbd_key) and reaches C(rbd) only as a 0600 file.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.rbd
options:
  volume_id:
    description: The volume's UUID.
    type: str
    required: true
  state:
    description: Whether the volume should exist.
    type: str
    choices: [present, absent]
    default: present
  size:
    description:
      - Size in GiB, as Cinder takes it. Needed for a blank volume; from a source it defaults to
        the source's size (an image's rounded up to whole GiB).
    type: int
  size_mib:
    description: Size in MiB, for tests and small demos. Mutually exclusive with O(size).
    type: int
  backend:
    description:
      - V(file) is a raw sparse file in O(backing_dir); V(lvm) a logical volume in O(volume_group);
        V(rbd) an RBD image in O(rbd_pool) of a Ceph cluster.
    type: str
    choices: [file, lvm, rbd]
    default: file
  backing_dir:
    description: Directory of the volume files of the V(file) backend.
    type: path
    default: /var/lib/virtblock/backing
  volume_group:
    description: Volume group of the V(lvm) backend (Cinder's C(volume_group)).
    type: str
  image:
    description:
      - Path on the storage host of an image to copy into the new volume (Cinder's create from
        image). Any format qemu-img reads; an image with a backing file is refused. Marks the volume bootable.
    type: path
  image_location:
    description:
      - V(rbd) only. Glance's C(direct_url) of an image in the RBD store,
        C(rbd://<fsid>/<pool>/<image>/<snapshot>) (Glance keeps C(images/<image id>@snap), protected).
        The volume is a copy-on-write clone of that snapshot, as Cinder's C(clone_image) makes it,
        and is marked bootable. The fsid must be this cluster's.
    type: str
  rbd_flatten_volume_from_snapshot:
    description: V(rbd) only. Flatten a volume made from a snapshot, so it no longer depends on it (Cinder's option).
    type: bool
    default: false
  rbd_max_clone_depth:
    description:
      - V(rbd) only. A volume cloned from a volume is flattened when its clone chain would be deeper
        than this; V(0) copies instead of cloning (Cinder's option).
    type: int
    default: 5
  source_volid:
    description: UUID of a volume in the same backend to copy into the new volume.
    type: str
  snapshot_id:
    description: UUID of a snapshot (C(snapshot-<id>) in the same backend) to copy into the new volume.
    type: str
  must_exist:
    description: With O(state=present), fail when the volume does not exist instead of creating it (an extend).
    type: bool
    default: false
    version_added: 0.3.0
  force:
    description:
      - With O(state=absent), delete even while exported, removing the export first.
      - V(rbd) has no export to remove; an image with watchers or snapshots is never deleted.
    type: bool
    default: false
  volumes_dir:
    description: Directory of the iSCSI target files (as in M(virtblock.volumes.iscsi_target)), to see if the volume is exported.
    type: path
    default: /var/lib/virtblock/volumes
  target_prefix:
    description: IQN prefix of the exports (as in M(virtblock.volumes.iscsi_target)).
    type: str
    default: "iqn.2010-10.org.openstack:"
  control_port:
    description: tgtd control port, to see running exports.
    type: int
    default: 0
  encrypted:
    description:
      - Create the volume as a LUKS (v1) container, the way Nova's native LUKS path opens it
        (see the C(encryption) guide). V(file) backend only, and only blank volumes. The whole
        volume is O(size) bytes with the 2 MiB header inside, as os-brick's C(luksFormat) leaves
        a Cinder volume; the guest sees the rest.
      - An existing volume is never re-formatted; asking V(true) for an existing plain volume fails.
      - With V(false) nothing is asked - an existing encrypted volume stays encrypted (RV(encrypted) says so).
    type: bool
    default: false
    version_added: 0.3.0
  encryption_passphrase:
    description:
      - The passphrase of an encrypted volume (for example from Ansible Vault). It reaches
        qemu-img only as a 0600 temporary file and is kept nowhere.
      - Without it a passphrase is generated (64 hex characters, a 256-bit key as Nova
        hexlifies Cinder's) and kept only in the 0600 file RV(encryption_key_file), reused on a rerun.
    type: str
    version_added: 0.3.0
  encryption_keys_dir:
    description: The 0700 directory of the generated passphrase files (one per volume, C(volume-<id>.key)).
      Defaults to C(keys) inside O(backing_dir).
    type: path
    version_added: 0.3.0
notes:
  - Supports C(check_mode) and C(diff_mode).
  - The source options matter only when the volume is created; an existing volume is never overwritten.
  - Extending a volume exported by tgtd (a running target of O(target_prefix) serving its bytes)
    also makes tgtd serve the new size, as Cinder's C(extend_volume) calls C(extend_target) -
    only LUN 1 is made again, so a logged-in initiator keeps its session (Cinder re-creates the
    whole target, dropping it). The compute side then tells the guest
    (M(virtblock.volumes.libvirt_volume_extend)); the role C(virtblock.volumes.extend_volume) does both.
requirements:
  - qemu-img (Debian C(qemu-utils)) for image and volume copies; LVM tools for the V(lvm) backend.
  - The C(rbd) and C(ceph) commands (Debian C(ceph-common)) for the V(rbd) backend, and
    C(qemu-block-extra) to convert an image file into RBD.
'''

EXAMPLES = r'''
- name: A blank 10 GiB volume
  virtblock.volumes.volume:
    volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
    size: 10

- name: A bootable volume from a qcow2 image
  virtblock.volumes.volume:
    volume_id: 060fe764-c17b-45da-af6d-868c1f5e19df
    image: /var/lib/images/debian-12.qcow2
    size: 20

- name: A bootable RBD volume cloned from a Glance image in the RBD store (seed row 1)
  virtblock.volumes.volume:
    volume_id: 9a53945a-b745-493e-8710-0f2c92e1fb5f
    backend: rbd
    image_location: rbd://2e3e1017-bd0d-4f30-9f39-99f4acf5afb0/images/dbbec6ed-017e-45b0-845d-45c73c718ac6/snap
    size: 100
    rbd_user: cinder
    rbd_keyring: /etc/ceph/ceph.client.cinder.keyring

- name: An encrypted (LUKS) volume, its passphrase generated and kept in a 0600 file
  virtblock.volumes.volume:
    volume_id: 5d2d9e38-0f5c-4d0e-8b3e-3c3f7b0c2a11
    size: 10
    encrypted: true

- name: Delete it
  virtblock.volumes.volume:
    volume_id: 060fe764-c17b-45da-af6d-868c1f5e19df
    state: absent
'''

RETURN = r'''
volume_path:
  description: Path of the volume's backing file or LV; C(pool/image) for V(rbd).
  returned: when the volume exists
  type: str
  sample: /var/lib/virtblock/backing/volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
size:
  description: Size in GiB, rounded up, as Cinder reports it.
  returned: when the volume exists
  type: int
  sample: 10
size_bytes:
  description: Exact size in bytes.
  returned: when the volume exists
  type: int
  sample: 10737418240
bootable:
  description: Whether the volume was made from an image (or copied from a bootable volume).
  returned: when the volume exists
  type: bool
  sample: false
target_extended:
  description: Whether the running iSCSI target's LUN was made again to serve the new size.
  returned: when the volume exists
  type: bool
  sample: false
  version_added: 0.3.0
encrypted:
  description: Whether the volume is a LUKS container (its first bytes are the LUKS magic).
  returned: when the volume exists
  type: bool
  sample: false
  version_added: 0.3.0
encryption_key_file:
  description: The 0600 file on this host that holds the generated passphrase (never the passphrase itself).
  returned: when the volume is encrypted and its passphrase is kept here
  type: str
  sample: /var/lib/virtblock/backing/keys/volume-5d2d9e38-0f5c-4d0e-8b3e-3c3f7b0c2a11.key
  version_added: 0.3.0
encryption_payload_offset:
  description: The bytes of the LUKS header of an encrypted volume (C(payload-offset) of C(qemu-img info)); the guest sees the rest.
  returned: when the volume exists and is encrypted (not in check mode for a volume not made yet)
  type: int
  sample: 2068480
  version_added: 0.3.0
backend:
  description: The backend used.
  returned: always
  type: str
  sample: file
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.volume_manager import (
    VOLUME_SPEC, VolumeManager)


class VolumeModule(VirtblockModule):
    spec = VOLUME_SPEC

    def run(self):
        result, before, after = VolumeManager(self.params, self.module.run_command, self.check_mode).apply()
        if self.diff_mode:
            result["diff"] = dict(before=before, after=after)
        return result


def main():
    VolumeModule()()


if __name__ == "__main__":
    main()
