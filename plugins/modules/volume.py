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
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
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
    description: V(file) is a raw sparse file in O(backing_dir); V(lvm) a logical volume in O(volume_group).
    type: str
    choices: [file, lvm]
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
  source_volid:
    description: UUID of a volume in the same backend to copy into the new volume.
    type: str
  snapshot_id:
    description: UUID of a snapshot (C(snapshot-<id>) in the same backend) to copy into the new volume.
    type: str
  force:
    description: With O(state=absent), delete even while exported, removing the export first.
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
notes:
  - Supports C(check_mode) and C(diff_mode).
  - The source options matter only when the volume is created; an existing volume is never overwritten.
  - Extending an exported volume does not resize the LUN tgtd already serves; re-export it.
requirements:
  - qemu-img (Debian C(qemu-utils)) for image and volume copies; LVM tools for the V(lvm) backend.
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

- name: Delete it
  virtblock.volumes.volume:
    volume_id: 060fe764-c17b-45da-af6d-868c1f5e19df
    state: absent
'''

RETURN = r'''
volume_path:
  description: Path of the volume's backing file or LV.
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
backend:
  description: The backend used.
  returned: always
  type: str
  sample: file
'''

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volumes as volume_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidVolume, ServiceUnavailable, VirtblockError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import (
    target_iqn, validate_uuid, volume_name)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.qemu_img import QemuImg
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import TargetExport
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.volume_backends import (
    FileBackend, LvmBackend)


class VolumeModule(VirtblockModule):
    argument_spec = dict(
        volume_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        size=dict(type="int"),
        size_mib=dict(type="int"),
        backend=dict(type="str", choices=["file", "lvm"], default="file"),
        backing_dir=dict(type="path", default="/var/lib/virtblock/backing"),
        volume_group=dict(type="str"),
        image=dict(type="path"),
        source_volid=dict(type="str"),
        snapshot_id=dict(type="str"),
        force=dict(type="bool", default=False),
        volumes_dir=dict(type="path", default="/var/lib/virtblock/volumes"),
        target_prefix=dict(type="str", default="iqn.2010-10.org.openstack:"),
        control_port=dict(type="int", default=0),
    )
    module_kwargs = dict(
        mutually_exclusive=[("size", "size_mib"), ("image", "source_volid", "snapshot_id")],
        required_if=[("backend", "lvm", ["volume_group"])],
    )

    def run(self):
        p = self.params
        self.volume_id = validate_uuid(p["volume_id"])
        self.name = volume_name(self.volume_id)
        self.qemu_img = QemuImg(self.module.run_command)
        if p["backend"] == "lvm":
            self.backend = LvmBackend(self.qemu_img, self.module.run_command, p["volume_group"])
        else:
            self.backend = FileBackend(self.qemu_img, p["backing_dir"])
        current = self.backend.describe(self.name)
        if p["state"] == "absent":
            after, changed = self.absent(current)
        else:
            after, changed = self.present(current)
        result = dict(changed=changed, backend=self.backend.kind)
        if after:
            result.update(volume_path=after["path"], size=volume_rules.gib(after["size_bytes"]),
                          size_bytes=after["size_bytes"], bootable=after["bootable"])
        if self.diff_mode:
            result["diff"] = dict(before=current or {}, after=after or {})
        return result

    def present(self, current):
        p = self.params
        wanted = volume_rules.requested_bytes(p["size"], p["size_mib"])
        if current is not None:
            if volume_rules.resize_action(current["size_bytes"], wanted) is None:
                return current, False
            if not self.check_mode:
                self.backend.extend(self.name, wanted)
            return dict(current, size_bytes=wanted), True
        kind, source, source_bytes, bootable = self.source()
        size_bytes = volume_rules.creation_size(wanted, kind, source_bytes, image_id=p["image"])
        if not self.check_mode:
            self.backend.create(self.name, size_bytes, source=source, bootable=bootable)
        return {"path": self.backend.path(self.name), "size_bytes": size_bytes, "bootable": bootable}, True

    def source(self):
        """(kind, (path, format) or None, size in bytes, bootable) of the creation source."""
        p = self.params
        if p["image"]:
            if not os.path.isfile(p["image"]):
                raise InvalidInput("image %s does not exist" % p["image"])
            fmt, virtual_size = volume_rules.check_image_info(p["image"], self.qemu_img.info(p["image"]))
            return "image", (p["image"], fmt), virtual_size, True
        for kind, key, prefix, what in (("volume", "source_volid", "volume-", "Volume"),
                                        ("snapshot", "snapshot_id", "snapshot-", "Snapshot")):
            if p[key]:
                source_id = validate_uuid(p[key], what=key)
                described = self.backend.describe(prefix + source_id)
                if described is None:
                    raise VirtblockError("%s %s could not be found." % (what, source_id))
                return kind, (described["path"], "raw"), described["size_bytes"], described["bootable"]
        return None, None, None, False

    def absent(self, current):
        if current is None:
            return None, False
        p = self.params
        export = TargetExport(TgtAdmin(p["control_port"]), p["volumes_dir"], self.volume_id,
                              target_iqn(p["target_prefix"], self.volume_id))
        exported = self.exported(export, current["path"])
        if exported and not p["force"]:
            raise InvalidVolume("Volume %s is exported (%s); remove the export first "
                                "(iscsi_target state=absent) or set force=true." % (self.volume_id, exported))
        if not self.check_mode:
            if exported:
                dummy, live, text = export.plan_absent(force=True)
                export.apply_absent(live, text)
            self.backend.delete(self.name)
        return None, True

    @staticmethod
    def exported(export, path):
        """Where the volume is exported from, or None: its target file, or a running target."""
        if export.current_text() is not None:
            return "target file %s" % export.path
        try:
            running = export.tgt.find_by_backing_store(path)
        except ServiceUnavailable:
            return None
        return ("target %s" % running[0].iqn) if running else None


def main():
    VolumeModule()()


if __name__ == "__main__":
    main()
