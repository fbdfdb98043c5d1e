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
notes:
  - Supports C(check_mode) and C(diff_mode).
  - The source options matter only when the volume is created; an existing volume is never overwritten.
  - Extending an exported volume does not resize the LUN tgtd already serves; re-export it.
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
    FileBackend, LvmBackend, RbdBackend)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import rbd as rbd_adapter


class VolumeModule(VirtblockModule):
    argument_spec = dict(
        rbd_adapter.RBD_ARGUMENT_SPEC,
        volume_id=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        size=dict(type="int"),
        size_mib=dict(type="int"),
        backend=dict(type="str", choices=["file", "lvm", "rbd"], default="file"),
        backing_dir=dict(type="path", default="/var/lib/virtblock/backing"),
        volume_group=dict(type="str"),
        image=dict(type="path"),
        image_location=dict(type="str"),
        rbd_flatten_volume_from_snapshot=dict(type="bool", default=False),
        rbd_max_clone_depth=dict(type="int", default=5),
        source_volid=dict(type="str"),
        snapshot_id=dict(type="str"),
        force=dict(type="bool", default=False),
        volumes_dir=dict(type="path", default="/var/lib/virtblock/volumes"),
        target_prefix=dict(type="str", default="iqn.2010-10.org.openstack:"),
        control_port=dict(type="int", default=0),
    )
    module_kwargs = dict(
        mutually_exclusive=[("size", "size_mib"), ("image", "image_location", "source_volid", "snapshot_id"),
                            ("rbd_keyring", "rbd_key")],
        required_if=[("backend", "lvm", ["volume_group"])],
    )

    def run(self):
        p = self.params
        self.volume_id = validate_uuid(p["volume_id"])
        self.name = volume_name(self.volume_id)
        self.qemu_img = QemuImg(self.module.run_command)
        if p["image_location"] and p["backend"] != "rbd":
            raise InvalidInput("image_location (an RBD clone source) needs backend=rbd")
        if p["backend"] == "rbd":
            with rbd_adapter.from_params(self.module.run_command, p) as rbd:
                self.backend = RbdBackend(self.qemu_img, rbd, p["rbd_flatten_volume_from_snapshot"],
                                          p["rbd_max_clone_depth"])
                return self.apply()
        if p["backend"] == "lvm":
            self.backend = LvmBackend(self.qemu_img, self.module.run_command, p["volume_group"])
        else:
            self.backend = FileBackend(self.qemu_img, p["backing_dir"])
        return self.apply()

    def apply(self):
        p = self.params
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
        size_bytes = volume_rules.creation_size(wanted, kind, source_bytes,
                                                image_id=p["image"] or p["image_location"])
        if not self.check_mode:
            self.backend.create(self.name, size_bytes, source=source, bootable=bootable)
        return {"path": self.backend.path(self.name), "size_bytes": size_bytes, "bootable": bootable}, True

    def source(self):
        """(kind, (path, format) or None, size in bytes, bootable) of the creation source."""
        p = self.params
        if self.backend.kind == "rbd":
            return self.rbd_source()
        if p["image"]:
            return self.file_image()
        for kind, key, prefix, what in (("volume", "source_volid", "volume-", "Volume"),
                                        ("snapshot", "snapshot_id", "snapshot-", "Snapshot")):
            if p[key]:
                source_id = validate_uuid(p[key], what=key)
                described = self.backend.describe(prefix + source_id)
                if described is None:
                    raise VirtblockError("%s %s could not be found." % (what, source_id))
                return kind, (described["path"], "raw"), described["size_bytes"], described["bootable"]
        return None, None, None, False

    def rbd_source(self):
        """The same for the rbd backend: Cinder's RBD driver clones where it can."""
        p = self.params
        backend = self.backend
        backend.rbd.check_pool()
        if p["image_location"]:
            pool, image, snap = volume_rules.parse_rbd_location(p["image_location"], backend.rbd.fsid())
            found = backend.image_source(pool, image, snap)
            if found is None:
                raise VirtblockError("Image %s could not be found." % p["image_location"])
            return "image", found[0], found[1], True
        if p["image"]:
            kind, source, size, bootable = self.file_image()
            return kind, ("file",) + source, size, bootable
        if p["snapshot_id"]:
            snapshot_id = validate_uuid(p["snapshot_id"], what="snapshot_id")
            found = backend.snapshot_source("snapshot-" + snapshot_id)
            if found is None:
                raise VirtblockError("Snapshot %s could not be found." % snapshot_id)
            return "snapshot", found[0], found[1], found[2]
        if p["source_volid"]:
            source_id = validate_uuid(p["source_volid"], what="source_volid")
            described = backend.describe(volume_name(source_id))
            if described is None:
                raise VirtblockError("Volume %s could not be found." % source_id)
            return "volume", ("volume", volume_name(source_id)), described["size_bytes"], described["bootable"]
        return None, None, None, False

    def file_image(self):
        p = self.params
        if not os.path.isfile(p["image"]):
            raise InvalidInput("image %s does not exist" % p["image"])
        fmt, virtual_size = volume_rules.check_image_info(p["image"], self.qemu_img.info(p["image"]))
        return "image", (p["image"], fmt), virtual_size, True

    def absent(self, current):
        if current is None:
            return None, False
        p = self.params
        if self.backend.kind == "rbd":
            # Cinder: watchers -> VolumeIsBusy (ImageBusy), snapshots -> VolumeIsBusy
            self.backend.check_delete(self.name)
            if not self.check_mode:
                self.backend.delete(self.name)
            return None, True
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
