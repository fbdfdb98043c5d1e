# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: an encrypted (LUKS) volume, as Nova's native LUKSv1 path sees it. Pure, no I/O.

Nova (``LibvirtDriver._allow_native_luksv1``) lets QEMU decrypt a volume whose Cinder
encryption provider is ``luks``: the volume's bytes are a LUKSv1 container (header, then
payload), the passphrase is ``binascii.hexlify`` of the volume's 256-bit key from the key
manager, and QEMU opens it with ``<encryption format='luks'>`` and a libvirt secret of usage
``volume``. Here there is no key manager: the passphrase is generated once (the same
shape: 64 hex characters) and kept only in a 0600 file on the storage host, or given by
the caller (Ansible Vault) and then kept nowhere.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import ImageUnacceptable, InvalidInput

# LUKS's on-disk magic ("LUKS\xba\xbe"), the first bytes of a container (os-brick's
# ``is_luks`` asks cryptsetup isLuks, which reads the same bytes).
LUKS_MAGIC = b"LUKS\xba\xbe"
# Nova: the passphrase is hexlify(key) of Cinder's default 256-bit key -> 64 hex chars.
PASSPHRASE_BYTES = 32
# The header qemu-img writes for LUKSv1 (aes-256-xts, 8 key slots) ends at 2068480 bytes;
# a volume must hold it and some payload.
LUKS_HEADER_BYTES = 2068480
MIN_ENCRYPTED_BYTES = 4 * 1024 * 1024
GiB = 1024 ** 3
# libvirt secret usage type for a volume passphrase (Nova: ``create_secret('volume', volume_id)``).
SECRET_USAGE_TYPE = "volume"


def is_luks(head):
    """Whether the first bytes of a volume are a LUKS header."""
    return bytes(head[:len(LUKS_MAGIC)]) == LUKS_MAGIC


def key_file(keys_dir, volume_id):
    """Where the storage host keeps a generated passphrase: one file per volume, named
    after it (Cinder keeps the key id in the volume row; the key sits in Barbican)."""
    return posixpath.join(keys_dir, "volume-%s.key" % volume_id)


def default_keys_dir(backing_dir):
    """The keys directory beside the volume files."""
    return posixpath.join(backing_dir, "keys")


def check_create(backend, size_bytes, source_kind):
    """Refusals before an encrypted volume is made (nothing written yet)."""
    if backend != "file":
        raise InvalidInput("encrypted volumes are supported on the file backend only "
                           "(backend=%s)" % backend)
    if source_kind not in (None, "image"):
        # Cinder clones the source's key for a copy of an encrypted volume; not offered here.
        raise InvalidInput("an encrypted volume is created blank or from an image here: "
                           "source_volid and snapshot_id are not supported with encrypted=true")
    if size_bytes < MIN_ENCRYPTED_BYTES:
        raise InvalidInput("an encrypted volume needs at least %d MiB (its LUKS header takes 2 MiB)"
                           % (MIN_ENCRYPTED_BYTES // (1024 * 1024)))


def creation_size(wanted, image_bytes, image_id):
    """Bytes of an encrypted volume made from an image: the image and the LUKS header must
    fit (Cinder's "doesn't fit" check, the header counted); without a size, whole GiB."""
    needed = image_bytes + LUKS_HEADER_BYTES
    if wanted is None:
        return -(-needed // GiB) * GiB
    if wanted < needed:
        raise ImageUnacceptable(image_id, "Image virtual size is %d bytes and with its %d-byte LUKS header "
                                "doesn't fit in a volume of %d bytes." % (image_bytes, LUKS_HEADER_BYTES, wanted))
    return wanted


def check_existing(volume_id, encrypted_asked, current):
    """An existing volume is never re-formatted: one asked encrypted must already be."""
    if encrypted_asked and not current.get("encrypted"):
        raise InvalidInput("Volume %s exists and is not encrypted: an existing volume is never "
                           "re-formatted (create a new encrypted volume and copy the data)" % volume_id)


def payload_bytes(volume_bytes, payload_offset):
    """What the guest sees of a LUKS volume: its size less the header (Nova's
    ``_resize_attached_encrypted_volume``: ``new_size - payload_offset``)."""
    return volume_bytes - payload_offset
