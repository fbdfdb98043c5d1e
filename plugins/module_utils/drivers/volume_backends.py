# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: Where a volume's bytes live: a raw sparse file, or an LVM logical volume.

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
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.lvm import BOOTABLE_TAG, LVM


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
        return {"path": path, "size_bytes": os.path.getsize(path), "bootable": bool(meta.get("bootable"))}

    def source_path(self, name):
        path = self.path(name)
        return path if os.path.isfile(path) else None

    def create(self, name, size_bytes, source=None, bootable=False):
        """*source* is ``(path, format)`` to copy from, or None for a blank volume."""
        files.ensure_dir(self.backing_dir)
        try:
            with files.created_atomically(self.path(name), mode=0o600) as tmp:
                if source is not None:
                    self.qemu_img.convert_to_raw(source[0], source[1], tmp)
                if os.path.getsize(tmp) < size_bytes:
                    os.truncate(tmp, size_bytes)
                files.write_atomically(self._meta_path(name), json.dumps({"bootable": bool(bootable)}) + "\n")
        except Exception:
            files.remove(self._meta_path(name))
            raise

    def extend(self, name, size_bytes):
        os.truncate(self.path(name), size_bytes)

    def delete(self, name):
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

    def delete(self, name):
        if self.lvm.lv(name) is None:
            return False
        self.lvm.remove(name)
        return True
