# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: where a volume's bytes live: a raw sparse file, an LVM logical volume, or an RBD image.

Cinder's ``create_volume`` flow for the two: blank, copied from an image (converted
to raw, then grown to the asked size), or copied from another volume or a snapshot.
A volume appears under its final name only once it is whole: files are built under a
temporary name and renamed; an LV that fails half-way is removed again.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput, VolumeIsBusy
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.rbd import ImageBusy
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.lvm import BOOTABLE_TAG, LVM
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.volume_encryption import LUKS_MAGIC, is_luks


class FileBackend(object):
    """``<backing_dir>/volume-<id>``, raw and sparse; metadata (bootable) beside it."""

    kind = "file"

    def __init__(self, qemu_img, backing_dir):
        self.qemu_img = qemu_img
        self.backing_dir = backing_dir

    def path(self, name):
        return os.path.join(self.backing_dir, name)

    def _meta_path(self, name):
        return self.path(name) + ".meta.json"

    def describe(self, name):
        path = self.path(name)
        if not os.path.isfile(path):
            return None
        meta = json.loads(files.read_text(self._meta_path(name)) or "{}")
        return {"path": path, "size_bytes": os.path.getsize(path), "bootable": bool(meta.get("bootable")),
                "encrypted": is_luks(files.read_head(path, len(LUKS_MAGIC)))}

    def source_path(self, name):
        path = self.path(name)
        return path if os.path.isfile(path) else None

    def create(self, name, size_bytes, source=None, bootable=False, encryption=None):
        """*source* is ``(path, format)`` to copy from, or None for a blank volume;
        *encryption* (``drivers/volume_encryption``) makes a blank one a LUKS container of
        *size_bytes* in all, its header inside, as os-brick's luksFormat leaves a volume."""
        files.ensure_dir(self.backing_dir)
        try:
            with files.created_atomically(self.path(name), mode=0o600) as tmp:
                if source is not None and encryption is not None:
                    encryption.convert(source[0], source[1], tmp)
                elif source is not None:
                    self.qemu_img.convert_to_raw(source[0], source[1], tmp)
                elif encryption is not None:
                    encryption.format(tmp)
                if os.path.getsize(tmp) < size_bytes:
                    os.truncate(tmp, size_bytes)
                files.write_atomically(self._meta_path(name), json.dumps({"bootable": bool(bootable)}) + "\n")
        except Exception:
            files.remove(self._meta_path(name))
            raise

    def extend(self, name, size_bytes):
        os.truncate(self.path(name), size_bytes)

    def create_snapshot(self, volume, snapshot):
        """A sparse raw copy ``snapshot-<id>`` beside the volume, its metadata naming the
        volume (Cinder's LVM makes a copy-on-write LV; a plain file has no such thing). The
        copy costs the volume's allocated bytes in time and space, and it is not one point
        in time while a guest writes (hence Cinder's ``force`` for an in-use volume)."""
        meta = dict(json.loads(files.read_text(self._meta_path(volume)) or "{}"), volume=volume)
        try:
            with files.created_atomically(self.path(snapshot), mode=0o600) as tmp:
                self.qemu_img.convert_to_raw(self.path(volume), "raw", tmp)
                files.write_atomically(self._meta_path(snapshot), json.dumps(meta) + "\n")
        except Exception:
            files.remove(self._meta_path(snapshot))
            raise

    def snapshots_of(self, volume):
        """The snapshot files made of *volume* (a volume with snapshots is not deleted)."""
        found = []
        for entry in sorted(os.listdir(self.backing_dir)) if os.path.isdir(self.backing_dir) else []:
            if entry.startswith("snapshot-") and entry.endswith(".meta.json"):
                meta = json.loads(files.read_text(os.path.join(self.backing_dir, entry)) or "{}")
                if meta.get("volume") == volume:
                    found.append(entry[:-len(".meta.json")])
        return found

    def snapshot_exists(self, volume, snapshot):
        return self.describe(snapshot) is not None

    def delete_snapshot(self, snapshot, volume=None):
        return self.delete(snapshot)

    def delete(self, name):
        if name.startswith("volume-") and self.snapshots_of(name):
            raise VolumeIsBusy(name)        # Cinder's LVM driver: lv_has_snapshot
        files.remove(self._meta_path(name))
        return files.remove(self.path(name))


class LvmBackend(object):
    """LV ``volume-<id>`` in a volume group (Cinder's LVM driver); bootable is an LV tag."""

    kind = "lvm"

    def __init__(self, qemu_img, run, volume_group):
        if not volume_group:
            raise InvalidInput("volume_group is required for the lvm backend")
        self.qemu_img = qemu_img
        self.lvm = LVM(run, volume_group)

    def path(self, name):
        return self.lvm.path(name)

    def describe(self, name):
        lv = self.lvm.lv(name)
        if lv is None:
            return None
        return {"path": self.path(name), "size_bytes": lv["size"], "bootable": BOOTABLE_TAG in lv["tags"]}

    def source_path(self, name):
        return self.path(name) if self.lvm.lv(name) is not None else None

    def create(self, name, size_bytes, source=None, bootable=False):
        self.lvm.create(name, size_bytes)
        try:
            if source is not None:
                self.qemu_img.convert_to_raw(source[0], source[1], self.path(name), dest_exists=True)
            if bootable:
                self.lvm.tag(name, BOOTABLE_TAG)
        except Exception:
            self.lvm.remove(name)
            raise

    def extend(self, name, size_bytes):
        self.lvm.extend(name, size_bytes)

    def create_snapshot(self, volume, snapshot):
        """Cinder's LVM ``create_snapshot``: an LV snapshot the size of its origin."""
        self.lvm.snapshot(snapshot, volume, self.lvm.lv(volume)["size"])

    def snapshot_exists(self, volume, snapshot):
        return self.describe(snapshot) is not None

    def delete_snapshot(self, snapshot, volume=None):
        return self.delete(snapshot)

    def delete(self, name):
        if self.lvm.lv(name) is None:
            return False
        self.lvm.remove(name)
        return True


class RbdBackend(object):
    """RBD image ``<rbd_pool>/volume-<id>``, as Cinder's RBD driver keeps a volume.

    Sources (``create``'s *source*): ``("file", path, format)`` a local image converted in
    with qemu-img (Cinder's copy_image_to_volume); ``("clone", pool, image, snap)`` a
    copy-on-write clone of a protected snapshot (Glance's RBD store image, Cinder's
    ``clone_image``; or a volume snapshot, ``create_volume_from_snapshot``);
    ``("volume", name)`` Cinder's ``create_cloned_volume``: a ``<dest>.clone_snap`` on the
    source, cloned, flattened when the clone chain reaches ``rbd_max_clone_depth``
    (0: a full copy). Bootable is the image-meta key ``virtblock.bootable`` (Cinder keeps
    it in its database, which this collection has only for attachments).
    """

    kind = "rbd"
    BOOTABLE_KEY = "virtblock.bootable"

    def __init__(self, qemu_img, rbd, flatten_from_snapshot=False, max_clone_depth=5):
        self.qemu_img = qemu_img
        self.rbd = rbd
        self.flatten_from_snapshot = flatten_from_snapshot
        self.max_clone_depth = max_clone_depth

    def path(self, name):
        return self.rbd.spec(name)

    def describe(self, name):
        info = self.rbd.info(name)
        if info is None:
            return None
        parent = info.get("parent")
        return {"path": self.path(name), "size_bytes": int(info["size"]),
                "bootable": self.rbd.meta_get(name, self.BOOTABLE_KEY) == "true",
                "parent": ("%s/%s@%s" % (parent["pool"], parent["image"], parent["snapshot"])
                           if parent else None)}

    def snapshot_source(self, snapshot_name):
        """(source, size, bootable) of the volume snapshot ``snapshot-<id>`` in the pool."""
        for entry in self.rbd.listing():
            if entry.get("snapshot") == snapshot_name:
                meta = self.rbd.meta_get(entry["image"], self.BOOTABLE_KEY) == "true"
                return ("clone", self.rbd.pool, entry["image"], snapshot_name), int(entry["size"]), meta
        return None

    def image_source(self, pool, image, snap):
        """(source, size) of a Glance image in the RBD store, or None."""
        for entry in self.rbd.listing(pool):
            if entry.get("image") == image and entry.get("snapshot") == snap:
                if entry.get("protected") not in ("true", True):
                    raise InvalidInput("%s/%s@%s is not a protected snapshot: it cannot be cloned"
                                       % (pool, image, snap))
                return ("clone", pool, image, snap), int(entry["size"])
        return None

    def create(self, name, size_bytes, source=None, bootable=False):
        src_kind = source[0] if source else None
        try:
            if src_kind == "file":
                # qemu-img creates the image at the source's virtual size; grown below
                self.qemu_img.convert_to_raw(source[1], source[2], self.rbd.qemu_uri(name))
            elif src_kind == "clone":
                self.rbd.clone(source[1], source[2], source[3], name)
                if source[1] == self.rbd.pool and self.flatten_from_snapshot:
                    self.rbd.flatten(name)
            elif src_kind == "volume":
                self._clone_volume(source[1], name)
            else:
                self.rbd.create(name, size_bytes)
            info = self.rbd.info(name)
            if info is None or int(info["size"]) < size_bytes:
                self.rbd.resize(name, size_bytes)
            if bootable:
                self.rbd.meta_set(name, self.BOOTABLE_KEY, "true")
        except Exception:
            # nothing half-made stays behind under the volume's name
            if self.rbd.info(name) is not None:
                self.delete(name)
            raise

    def _clone_volume(self, src, name):
        clone_snap = "%s.clone_snap" % name
        if self.max_clone_depth <= 0:
            self.rbd.copy(src, name)
            return
        self.rbd.snap_create(src, clone_snap)
        try:
            self.rbd.clone(self.rbd.pool, src, clone_snap, name)
        except Exception:
            self.rbd.snap_remove(src, clone_snap)
            raise
        if self._clone_depth(src) + 1 > self.max_clone_depth:
            self.rbd.flatten(name)
            self.rbd.snap_remove(src, clone_snap)

    def _clone_depth(self, name, depth=0):
        info = self.rbd.info(name)
        parent = (info or {}).get("parent")
        if not parent or parent.get("pool") != self.rbd.pool:
            return depth
        return self._clone_depth(parent["image"], depth + 1)

    def extend(self, name, size_bytes):
        self.rbd.resize(name, size_bytes)

    def check_delete(self, name):
        """Cinder's refusals before ``delete_volume``: watchers (an attached image: the
        ImageBusy message) and snapshots other than clone snapshots (VolumeIsBusy)."""
        if self.rbd.watchers(name):
            raise VolumeIsBusy(volume_name=name, message=(
                "ImageBusy error raised while deleting rbd volume. This may have been caused "
                "by a connection from a client that has crashed and, if so, may be resolved by "
                "retrying the delete after 30 seconds has elapsed."))
        snaps = [s["name"] for s in self.rbd.snapshots(name)]
        if [s for s in snaps if not s.endswith(".clone_snap")]:
            raise VolumeIsBusy(name)
        return snaps

    def create_snapshot(self, volume, snapshot):
        """Cinder's RBD ``create_snapshot``: ``rbd snap create`` + ``protect`` (so volumes can
        be cloned from it)."""
        self.rbd.snap_create(volume, snapshot, protect=True)

    def snapshot_exists(self, volume, snapshot):
        return any(s["name"] == snapshot for s in self.rbd.snapshots(volume) or [])

    def delete_snapshot(self, snapshot, volume=None):
        """Cinder's ``delete_snapshot``: unprotect + remove; ImageBusy (SnapshotIsBusy) while
        a volume cloned from it has not been flattened."""
        if volume is None or not self.snapshot_exists(volume, snapshot):
            return False
        self.rbd.snap_remove(volume, snapshot)
        return True

    def delete(self, name):
        """Cinder's ``delete_volume``: a volume with clone snapshots is renamed
        ``<name>.deleted`` and goes when its last clone goes; a clone gives its parent's
        clone snapshot back."""
        info = self.rbd.info(name)
        if info is None:
            return False
        snaps = self.check_delete(name)
        if snaps:
            self.rbd.rename(name, "%s.deleted" % name)
            return True
        try:
            self.rbd.remove(name)
        except ImageBusy:
            self.check_delete(name)
            raise
        parent = info.get("parent")
        if parent and parent.get("pool") == self.rbd.pool and parent["snapshot"].endswith(".clone_snap"):
            self._delete_clone_parent_refs(parent["image"], parent["snapshot"])
        return True

    def _delete_clone_parent_refs(self, image, snap):
        try:
            self.rbd.snap_remove(image, snap)
        except ImageBusy:
            return   # another clone still uses it
        info = self.rbd.info(image)
        if image.endswith(".deleted") and info is not None and not self.rbd.snapshots(image):
            self.rbd.remove(image)
            parent = info.get("parent")
            if parent and parent.get("pool") == self.rbd.pool and parent["snapshot"].endswith(".clone_snap"):
                self._delete_clone_parent_refs(parent["image"], parent["snapshot"])
