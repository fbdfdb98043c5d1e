# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Cinder's rules for a volume's size and source. Pure, no I/O.

Sizes are GiB as Cinder takes them; ``size_mib`` exists for tests and small demos.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.parameter_types import (
    MAX_FILE_BYTES, bounded_int)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ImageUnacceptable, InvalidInput)

GiB = 1024 ** 3
MiB = 1024 ** 2


def requested_bytes(size=None, size_mib=None):
    """Bytes asked for, or None when neither is given."""
    if size is not None and size_mib is not None:
        raise InvalidInput("size and size_mib are mutually exclusive")
    # Cinder's bound is a quota (per_volume_gigabytes); here a file or LV must fit in
    # what ext4 takes as one file (16 TiB), or the create fails half-way.
    if size is not None:
        if size < 1:
            raise InvalidInput("Volume size '%s' must be an integer and greater than 0" % size)
        return bounded_int(size, "size", 1, MAX_FILE_BYTES // GiB) * GiB
    if size_mib is not None:
        if size_mib < 1:
            raise InvalidInput("size_mib '%s' must be an integer and greater than 0" % size_mib)
        return bounded_int(size_mib, "size_mib", 1, MAX_FILE_BYTES // MiB) * MiB
    return None


def gib(size_bytes):
    """Whole GiB, rounded up, as Cinder reports a volume's ``size``."""
    return -(-size_bytes // GiB)


def _fmt(size_bytes):
    return ("%d" % (size_bytes // GiB)) if size_bytes % GiB == 0 else ("%.3f" % (size_bytes / float(GiB)))


def creation_size(wanted, source_kind=None, source_bytes=None, image_id=None):
    """Bytes to create a volume with, by Cinder's checks against its source.

    *source_kind* is None (blank), ``image``, ``volume`` or ``snapshot``; *source_bytes*
    is the source's (virtual) size.
    """
    if source_kind is None:
        if wanted is None:
            raise InvalidInput("size (GiB) or size_mib is required to create a blank volume")
        return wanted
    if wanted is None:
        # Cinder takes an image's size rounded up to whole GiB when none is asked.
        return gib(source_bytes) * GiB if source_kind == "image" else source_bytes
    if wanted < source_bytes:
        if source_kind == "image":
            raise ImageUnacceptable(image_id, "Image virtual size is %sGB and doesn't fit in a volume of size %sGB."
                                    % (_fmt(source_bytes), _fmt(wanted)))
        if source_kind == "volume":
            raise InvalidInput("Volume size '%s'GB cannot be smaller than original volume size %sGB. "
                               "They must be >= original volume size." % (_fmt(wanted), _fmt(source_bytes)))
        raise InvalidInput("Volume size '%s'GB cannot be smaller than the snapshot size %sGB. "
                           "They must be >= original snapshot size." % (_fmt(wanted), _fmt(source_bytes)))
    return wanted


def resize_action(current_bytes, wanted_bytes):
    """``None`` (keep) or ``"extend"``; a smaller size is refused as Cinder's extend does."""
    if wanted_bytes is None or wanted_bytes == current_bytes:
        return None
    if wanted_bytes < current_bytes:
        raise InvalidInput("New size for extend must be greater than current size. (current: %s, extended: %s)."
                           " Shrinking a volume is not supported." % (_fmt(current_bytes), _fmt(wanted_bytes)))
    return "extend"


def check_image_info(image_id, info):
    """Cinder's checks on ``qemu-img info`` of an image before copying it into a volume."""
    if not info.get("format"):
        raise ImageUnacceptable(image_id, "'qemu-img info' parsing failed.")
    if info.get("backing-filename") or info.get("full-backing-filename"):
        # Cinder refuses these too: the backing file would be read from the storage host.
        raise ImageUnacceptable(image_id, "fmt=%s backed by: %s" % (info["format"], info.get("backing-filename")))
    if info.get("virtual-size") is None:
        raise ImageUnacceptable(image_id, "'qemu-img info' reports no virtual size.")
    return info["format"], int(info["virtual-size"])


def parse_rbd_location(location, fsid):
    """Cinder's ``_parse_location`` + the fsid half of ``_is_cloneable``: Glance's RBD store
    ``direct_url`` ``rbd://<fsid>/<pool>/<image>/<snapshot>`` -> (pool, image, snapshot).

    Cinder falls back to downloading an image of another cluster; here there is nothing to
    download from, so it is refused (give the image file as ``image`` instead).
    """
    prefix = "rbd://"
    if not location or not location.startswith(prefix):
        raise InvalidInput("image_location %r is not an rbd:// location" % (location,))
    pieces = location[len(prefix):].split("/")
    if len(pieces) != 4 or not all(pieces):
        raise InvalidInput("image_location %r is not rbd://<fsid>/<pool>/<image>/<snapshot>" % (location,))
    if pieces[0] != fsid:
        raise InvalidInput("image_location %s is in the cluster %s, not in this one (%s): "
                           "it cannot be cloned" % (location, pieces[0], fsid))
    return pieces[1], pieces[2], pieces[3]
