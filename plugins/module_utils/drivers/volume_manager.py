# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: Cinder's volume manager for one volume (``create_volume`` from nothing, an image,
a volume or a snapshot; ``extend_volume``; ``delete_volume``, refused while exported).

The size and source rules are ``rules/volumes``; where the bytes live is
``drivers/volume_backends``; the export check goes through ``drivers/target_export``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volumes as volume_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidVolume, ServiceUnavailable, VirtblockError, VolumeNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import (
    target_iqn, validate_uuid, volume_name)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.qemu_img import QemuImg
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import TargetExport
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.volume_backends import (
    FileBackend, LvmBackend, RbdBackend)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import rbd as rbd_adapter
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.volume_encryption import VolumeEncryption
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_encryption as encryption_rules


class VolumeManager(object):
    """*p* the module's parameters, *run* ``AnsibleModule.run_command``."""

    def __init__(self, p, run, check_mode):
        self.p = p
        self.run = run
        self.check_mode = check_mode

    def apply(self):
        """Bring the volume to ``state``; returns (result, before, after)."""
        p = self.p
        self.volume_id = validate_uuid(p["volume_id"])
        self.name = volume_name(self.volume_id)
        self.qemu_img = QemuImg(self.run)
        if p["image_location"] and p["backend"] != "rbd":
            raise InvalidInput("image_location (an RBD clone source) needs backend=rbd")
        if p["backend"] == "rbd":
            with rbd_adapter.from_params(self.run, p) as rbd:
                self.backend = RbdBackend(self.qemu_img, rbd, p["rbd_flatten_volume_from_snapshot"],
                                          p["rbd_max_clone_depth"])
                return self._apply()
        if p["backend"] == "lvm":
            self.backend = LvmBackend(self.qemu_img, self.run, p["volume_group"])
        else:
            self.backend = FileBackend(self.qemu_img, p["backing_dir"])
        return self._apply()

    def encryption(self):
        """The volume's passphrase keeper (file backend: the keys directory beside the volumes)."""
        p = self.p
        keys_dir = p.get("encryption_keys_dir") or encryption_rules.default_keys_dir(p["backing_dir"])
        return VolumeEncryption(self.qemu_img, keys_dir, self.volume_id, p.get("encryption_passphrase"))

    def _apply(self):
        p = self.p
        current = self.backend.describe(self.name)
        if p["state"] == "absent":
            after, changed = self.absent(current)
        else:
            after, changed = self.present(current)
        result = dict(changed=changed, backend=self.backend.kind)
        if after:
            result.update(volume_path=after["path"], size=volume_rules.gib(after["size_bytes"]),
                          size_bytes=after["size_bytes"], bootable=after["bootable"],
                          target_extended=after.pop("target_extended", False),
                          encrypted=bool(after.get("encrypted")))
            key = after.pop("encryption_key_file", None)
            if key:
                result["encryption_key_file"] = key
            if after.get("encrypted") and not (self.check_mode and not current):
                # what the extend of an attached volume takes off (Nova's payload-offset)
                result["encryption_payload_offset"] = self.qemu_img.luks_payload_offset(after["path"])
        return result, current or {}, after or {}

    def present(self, current):
        p = self.p
        wanted = volume_rules.requested_bytes(p["size"], p["size_mib"])
        if current is not None:
            encryption_rules.check_existing(self.volume_id, p.get("encrypted"), current)
            if current.get("encrypted") and self.backend.kind == "file":
                keeper = self.encryption()
                current = dict(current, encryption_key_file=keeper.path if keeper.has_key() else None)
            grow = volume_rules.resize_action(current["size_bytes"], wanted) is not None
            if grow and not self.check_mode:
                self.backend.extend(self.name, wanted)
            after = dict(current, size_bytes=wanted) if grow else current
            # Cinder's LVM driver: extend the LV, then ``target_driver.extend_target``. A
            # rerun after a run that grew the bytes but died before the LUN finishes it.
            lun_grown = self.extend_target(after)
            return dict(after, target_extended=lun_grown), grow or lun_grown
        if p.get("must_exist"):
            # an extend (the extend_volume role) never creates the volume it was to grow
            raise VolumeNotFound(self.volume_id)
        if p.get("encrypted"):
            # refused before any source is read or anything is written
            encryption_rules.check_create(self.backend.kind, encryption_rules.MIN_ENCRYPTED_BYTES,
                                          "volume" if p["source_volid"] or p["snapshot_id"] else None)
        kind, source, source_bytes, bootable = self.source()
        if p.get("encrypted") and kind == "image":
            size_bytes = encryption_rules.creation_size(wanted, source_bytes, p["image"])
        else:
            size_bytes = volume_rules.creation_size(wanted, kind, source_bytes,
                                                    image_id=p["image"] or p["image_location"])
        created = {"path": self.backend.path(self.name), "size_bytes": size_bytes, "bootable": bootable}
        extra = {}
        if p.get("encrypted"):
            encryption_rules.check_create(self.backend.kind, size_bytes, kind)
            extra["encryption"] = keeper = self.encryption()     # file backend only
            created.update(encrypted=True,
                           encryption_key_file=None if keeper.given is not None else keeper.path)
        if not self.check_mode:
            self.backend.create(self.name, size_bytes, source=source, bootable=bootable, **extra)
        return created, True

    def extend_target(self, volume):
        """Make a running tgtd export of the volume serve its new size; True when it did."""
        if self.backend.kind == "rbd":
            return False        # no export: librbd clients see the new size themselves
        p = self.p
        export = TargetExport(TgtAdmin(p["control_port"]), p["volumes_dir"], self.volume_id,
                              target_iqn(p["target_prefix"], self.volume_id))
        try:
            found = export.lun_to_extend(volume["path"], volume["size_bytes"])
        except ServiceUnavailable:
            return False        # no tgtd here: nothing exported to resize
        if found is None:
            return False
        if not self.check_mode:
            export.extend(*found)
        return True

    def source(self):
        """(kind, (path, format) or None, size in bytes, bootable) of the creation source."""
        p = self.p
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
        p = self.p
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
        p = self.p
        if not os.path.isfile(p["image"]):
            raise InvalidInput("image %s does not exist" % p["image"])
        fmt, virtual_size = volume_rules.check_image_info(p["image"], self.qemu_img.info(p["image"]))
        return "image", (p["image"], fmt), virtual_size, True

    def absent(self, current):
        if current is None:
            return None, False
        p = self.p
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
            if current.get("encrypted"):
                # Cinder deletes an encrypted volume's key with the volume
                self.encryption().delete()
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


# volume's options, defined once (the module takes them from here).
VOLUME_SPEC = dict(
    argument_spec=dict(
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
        must_exist=dict(type="bool", default=False),
        volumes_dir=dict(type="path", default="/var/lib/virtblock/volumes"),
        target_prefix=dict(type="str", default="iqn.2010-10.org.openstack:"),
        control_port=dict(type="int", default=0),
        encrypted=dict(type="bool", default=False),
        encryption_passphrase=dict(type="str", no_log=True),
        encryption_keys_dir=dict(type="path"),
    ),
    mutually_exclusive=[("size", "size_mib"), ("image", "image_location", "source_volid", "snapshot_id"),
                        ("rbd_keyring", "rbd_key")],
    required_if=[("backend", "lvm", ["volume_group"])],
)
