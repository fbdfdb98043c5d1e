# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: a guest's local disks over the image cache (Nova's ``imagebackend.Qcow2``).

Nova's ``_create_image`` for ``destination_type: local``: a base file in ``_base`` (the
image converted to raw, or a blank ephemeral/swap disk made with mkfs/mkswap), built
whole under a temporary name, then a qcow2 overlay per instance disk on top of it. The
rules (names, sizes, formats) are ``rules/local_disks``; qemu-img, mkfs and the files
are the adapters'.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import local_disks
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.mkfs import Mkfs
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.qemu_img import QemuImg


class ImageCache(object):
    """*run* is ``AnsibleModule.run_command``, *which* ``AnsibleModule.get_bin_path``."""

    def __init__(self, run, which):
        self.run = run
        self.which = which
        self.qemu_img = QemuImg(run)

    def remove(self, path, check_mode):
        """``state=absent``: (changed, before, after)."""
        exists = os.path.exists(path)
        if exists and not check_mode:
            files.remove(path)
        return exists, {"path": path} if exists else {}, {}

    def ensure(self, p, check_mode):
        """``state=present``: (changed, before, after, extra result keys)."""
        if not p["path"] or not os.path.isabs(p["path"]) or p["path"].endswith("/"):
            raise InvalidInput("path %r must be the absolute path of the disk file" % (p["path"],))
        exists = os.path.exists(p["path"])
        kind = p["kind"]
        fmt = local_disks.guest_format(kind, p["guest_format"]) if kind != "image" else None
        wanted = local_disks.size_bytes(kind, p["size"], p["size_mib"])
        if kind == "image" and not os.path.isfile(p["image"]):
            raise InvalidInput("image %s does not exist on the compute host" % p["image"])
        base_dir = p["base_dir"] or os.path.join(os.path.dirname(os.path.dirname(p["path"])), "_base")
        base = os.path.join(base_dir, local_disks.base_name(kind, p["image_id"], wanted, fmt))
        base_missing = not os.path.exists(base)
        after = {"path": p["path"], "base": base, "format": "qcow2", "guest_format": fmt}
        if exists:
            local_disks.check_existing(p["path"], self.qemu_img.info(p["path"]), base)
        changed = base_missing or not exists
        if changed and not check_mode:
            if base_missing:
                self.make_base(kind, base, wanted, fmt, p["image"], p["label"])
            if not exists:
                try:
                    self.make_overlay(p["path"], base, wanted)
                except Exception:
                    if base_missing:
                        files.remove(base)  # a failed run leaves no cache entry it made
                    raise
        return changed, after if exists else {}, after, dict(
            base=base, base_created=base_missing, format={"format": "qcow2", "guest_format": fmt})

    def make_base(self, kind, base, size, fmt, image, label):
        """Build the base under a temporary name and rename it: a cache entry is whole."""
        files.ensure_dir(os.path.dirname(base), mode=0o755)
        with files.created_atomically(base, mode=0o644) as tmp:
            if kind == "image":
                src_format = self.qemu_img.info(image).get("format", "raw")
                self.qemu_img.convert_to_raw(image, src_format, tmp)
            else:
                with open(tmp, "wb") as handle:
                    handle.truncate(size)
                mkfs = Mkfs(self.run, self.which)
                if kind == "swap":
                    mkfs.make_swap(tmp)
                else:
                    mkfs.make_fs(tmp, fmt, label)

    def make_overlay(self, path, base, size):
        files.ensure_dir(os.path.dirname(path), mode=0o755)
        base_size = os.path.getsize(base)
        self.qemu_img.create_overlay(path, base, "raw", size if size and size > base_size else None)
        os.chmod(path, 0o600)


# local_disk's options, defined once (the module takes them from here).
LOCAL_DISK_SPEC = dict(
    argument_spec=dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        kind=dict(type="str", choices=list(local_disks.KINDS)),
        image=dict(type="path"),
        image_id=dict(type="str"),
        size=dict(type="int"),
        size_mib=dict(type="int"),
        guest_format=dict(type="str", choices=list(local_disks.FILESYSTEMS)),
        label=dict(type="str", default="ephemeral0"),
        base_dir=dict(type="path"),
    ),
    mutually_exclusive=[("size", "size_mib")],
    required_if=[("state", "present", ["kind"]), ("kind", "image", ["image", "image_id"])],
)
