# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's rules for an instance's local disks (``LibvirtDriver._create_image`` with the
Qcow2 image backend). Pure, no I/O.

Every local disk is a qcow2 overlay on a raw base file in the image cache,
``<instances_path>/_base``, as Nova's ``Image.cache`` + ``Qcow2.create_image`` make it:

- the image root disk (``source_type: image``, ``destination_type: local``) over the image
  converted to raw (``force_raw_images``), cached under ``sha1(image_id)``
  (``imagecache.get_cache_fname``): the second instance of the same image reuses it;
- an ephemeral disk over ``ephemeral_<GiB>_<hash of the filesystem>`` made by ``mkfs``
  with the BDM's ``guest_format`` (Nova's ``_create_ephemeral``, label ``ephemeral0``);
- the swap disk over ``swap_<MiB>`` made by ``mkswap`` (Nova's ``_create_swap``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.parameter_types import (
    MAX_FILE_BYTES, bounded_int)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

KINDS = ("image", "ephemeral", "swap")
# Nova's default for a Linux guest (``_DEFAULT_FS_BY_OSTYPE['linux']``).
DEFAULT_EPHEMERAL_FORMAT = "ext4"
FILESYSTEMS = ("ext2", "ext3", "ext4", "xfs", "vfat", "btrfs")
GIB = 1 << 30
MIB = 1 << 20


def image_cache_name(image_id):
    """Nova's ``imagecache.get_cache_fname``: the sha1 of the image id."""
    return hashlib.sha1(image_id.encode("utf-8")).hexdigest()


def guest_format(kind, requested):
    """The filesystem a local blank disk gets (swap for swap)."""
    if kind == "swap":
        return "swap"
    fmt = requested or DEFAULT_EPHEMERAL_FORMAT
    if fmt == "swap":
        raise InvalidInput("guest_format swap is for the swap disk, not an ephemeral disk")
    if fmt not in FILESYSTEMS:
        raise InvalidInput("guest_format %s is not one of %s" % (fmt, ", ".join(FILESYSTEMS)))
    return fmt


def base_name(kind, image_id=None, size_bytes=None, fmt=None):
    """The cached base file's name in ``_base``."""
    if kind == "image":
        if not image_id:
            raise InvalidInput("image_id is required for an image disk")
        return image_cache_name(image_id)
    if not size_bytes:
        raise InvalidInput("a size is required for %s disks" % kind)
    if kind == "swap":
        return "swap_%d" % (size_bytes // MIB)
    # Nova hashes the mkfs command into the name; the filesystem name does the same job.
    return "ephemeral_%d_%s" % (size_bytes // GIB, hashlib.sha256(fmt.encode()).hexdigest()[:7])


def size_bytes(kind, size, size_mib):
    """Ephemeral sizes are GiB (BDM ``volume_size``), swap MiB (flavor ``swap``)."""
    if size is not None and size_mib is not None:
        raise InvalidInput("size and size_mib are mutually exclusive")
    # Capped at what a file-backed disk can be here (ext4 files end at 16 TiB): a bigger
    # request would fail half-way, after the base was started.
    if size is not None:
        size = bounded_int(size, "size", 1, MAX_FILE_BYTES // (MIB if kind == "swap" else GIB))
        return size * (MIB if kind == "swap" else GIB)
    if size_mib is not None:
        return bounded_int(size_mib, "size_mib", 1, MAX_FILE_BYTES // MIB) * MIB
    return None


def check_existing(path, info, base):
    """A disk already at *path* must be our overlay on *base*; say what is wrong if not."""
    backing = info.get("full-backing-filename") or info.get("backing-filename")
    if info.get("format") != "qcow2" or backing != base:
        raise InvalidInput("%s exists and is not a qcow2 overlay on %s (format %s, backing "
                           "file %s); remove it first" % (path, base, info.get("format"), backing))
