#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: volume_snapshot
short_description: Create and delete a volume snapshot, as Cinder's create_snapshot and delete_snapshot do
description:
  - Runs on the storage host, with the record store (a SQLite file there, or O(db_url)). The
    snapshot is a row of the store's C(snapshots) table (Cinder's columns - C(status),
    C(progress), C(volume_size), C(display_name), C(provider_location)) and bytes named
    C(snapshot-<id>) in the volume's backend.
  - 'O(state=present) - Cinder''s rules first - an C(in-use) volume needs O(force) ("Volume <id>
    status must be available, but current status is: in-use."), any other status but
    C(available) is refused. The row is C(creating), the backend makes the snapshot, the row
    becomes C(available) (C(error) when the backend fails).'
  - O(state=absent) - the row must be C(available) or an error status ("Snapshot status must be
    available or error ..."); it becomes C(deleting), the bytes go, the row is deleted
    (C(error_deleting) when the backend fails; RBD refuses a snapshot a volume was cloned from and
    not flattened, with Cinder's C(SnapshotIsBusy)).
  - V(file) backend - a sparse raw copy of the volume file (qemu-img), metadata beside it naming the
    volume. It costs the volume's allocated bytes in time and space, and while a guest writes
    (O(force) on an C(in-use) volume) the copy is not one point in time. V(lvm) - an LVM snapshot
    LV (Cinder's C(create_lv_snapshot)), copy-on-write, needs device-mapper. V(rbd) - C(rbd snap create)
    + C(protect), as Cinder's RBD driver.
  - A volume with snapshots is not deleted - by M(virtblock.volumes.volume_state) (Cinder's API) nor
    by M(virtblock.volumes.volume) (C(VolumeIsBusy), as Cinder's LVM and RBD drivers). A new volume
    is made from a snapshot with M(virtblock.volumes.volume) O(virtblock.volumes.volume#module:snapshot_id)
    (and boot_from_volume's C(source_type=snapshot)).
version_added: 0.3.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.store
  - virtblock.volumes.rbd
options:
  snapshot_id:
    description: The snapshot's UUID.
    type: str
    required: true
  volume_id:
    description: The volume's UUID. Required with O(state=present).
    type: str
  state:
    description: Whether the snapshot should exist.
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Snapshot an C(in-use) volume (Cinder's C(--force)).
    type: bool
    default: false
  display_name:
    description: The snapshot's name.
    type: str
  display_description:
    description: The snapshot's description.
    type: str
  backend:
    description: Where the volume's bytes are (as M(virtblock.volumes.volume)).
    type: str
    choices: [file, lvm, rbd]
    default: file
  backing_dir:
    description: Directory of the V(file) backend.
    type: path
    default: /var/lib/virtblock/backing
  volume_group:
    description: Volume group of the V(lvm) backend.
    type: str
notes:
  - Supports C(check_mode) and C(diff_mode) (the snapshot row before and after).
requirements:
  - qemu-img for the V(file) backend; LVM tools for V(lvm); C(rbd) (ceph-common) for V(rbd).
'''

EXAMPLES = r'''
- name: Snapshot an attached volume (cinder snapshot-create --force)
  virtblock.volumes.volume_snapshot:
    snapshot_id: 1c0f8a4e-2d2e-4f7d-9d45-0a5f2b8f3c11
    volume_id: "{{ volume_id }}"
    force: true
    display_name: before-upgrade

- name: A new volume from it
  virtblock.volumes.volume:
    volume_id: "{{ new_volume_id }}"
    snapshot_id: 1c0f8a4e-2d2e-4f7d-9d45-0a5f2b8f3c11

- name: Delete the snapshot
  virtblock.volumes.volume_snapshot:
    snapshot_id: 1c0f8a4e-2d2e-4f7d-9d45-0a5f2b8f3c11
    state: absent
'''

RETURN = r'''
snapshot:
  description: The snapshot row after the task (null once deleted).
  returned: always
  type: dict
  sample: {id: 1c0f8a4e-2d2e-4f7d-9d45-0a5f2b8f3c11, volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2,
           status: available, progress: 100%, volume_size: 10}
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.record_module import RecordModule
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import rbd as rbd_adapter
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.qemu_img import QemuImg
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.snapshot_manager import (
    VOLUME_SNAPSHOT_SPEC, SnapshotManager)
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.volume_backends import (
    FileBackend, LvmBackend, RbdBackend)


class VolumeSnapshotModule(RecordModule):
    record_spec = VOLUME_SNAPSHOT_SPEC
    module_kwargs = dict(required_if=[("state", "present", ["volume_id"]), ("backend", "lvm", ["volume_group"])],
                         mutually_exclusive=[("rbd_keyring", "rbd_key")])

    def run(self):
        p = self.checked_params()
        run, qemu_img = self.module.run_command, QemuImg(self.module.run_command)
        if p["backend"] == "rbd":
            with rbd_adapter.from_params(run, p) as rbd:
                return self.apply(p, RbdBackend(qemu_img, rbd))
        if p["backend"] == "lvm":
            return self.apply(p, LvmBackend(qemu_img, run, p["volume_group"]))
        return self.apply(p, FileBackend(qemu_img, p["backing_dir"]))

    def apply(self, p, backend):
        manager = SnapshotManager(self.store(), backend, self.check_mode)
        if p["state"] == "absent":
            changed, before, after = manager.absent(p["snapshot_id"])
        else:
            names = dict((k, p[k]) for k in ("display_name", "display_description") if p[k] is not None)
            changed, before, after = manager.present(p["snapshot_id"], p["volume_id"], p["force"], names)
        return self.result(changed, before, after, snapshot=after)


def main():
    VolumeSnapshotModule()()


if __name__ == "__main__":
    main()
