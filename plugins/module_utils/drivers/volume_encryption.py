# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: the passphrase of an encrypted volume on the storage host, and its format.

Cinder asks its key manager (Barbican) for a key when it creates an encrypted volume and
keeps only the key's id; Nova fetches the key at attach time. Here the storage host keeps a
generated passphrase in ``<keys_dir>/volume-<id>.key`` (0600, the directory 0700) and
nothing else holds it: no record, no result, no argv. A passphrase the caller gives (e.g.
from Ansible Vault) is written to a 0600 temporary file only for qemu-img's read and removed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import os
import secrets

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_encryption as rules


class VolumeEncryption(object):
    """The passphrase of volume *volume_id*: *given* (the caller's) or the kept one."""

    def __init__(self, qemu_img, keys_dir, volume_id, given=None):
        self.qemu_img = qemu_img
        self.keys_dir = keys_dir
        self.path = rules.key_file(keys_dir, volume_id)
        self.given = given

    def has_key(self):
        return os.path.isfile(self.path)

    @contextlib.contextmanager
    def passphrase_file(self):
        """A 0600 file holding the passphrase, for qemu-img's ``--object secret,file=``.

        The kept file itself when no passphrase is given (made on first use, reused on a
        rerun: a create killed after it left the key keeps the same key); else a temporary
        file in the 0700 keys directory, removed afterwards."""
        files.ensure_dir(self.keys_dir, mode=0o700)
        if self.given is None:
            if not self.has_key():
                # Nova's passphrase is hexlify() of a 256-bit key: the same entropy and shape.
                files.write_atomically(self.path, secrets.token_hex(rules.PASSPHRASE_BYTES), mode=0o600)
            yield self.path
            return
        with files.private_file(self.keys_dir, self.given) as tmp:
            yield tmp

    def format(self, path, size_bytes=0):
        """Write a LUKS header to *path* (a new, empty file) with the passphrase."""
        with self.passphrase_file() as key:
            self.qemu_img.create_luks(path, key, size_bytes)

    def convert(self, source, source_format, path):
        """Copy the image *source* into *path* as a LUKS container with the passphrase."""
        with self.passphrase_file() as key:
            self.qemu_img.convert_to_luks(source, source_format, path, key)

    def delete(self):
        """Cinder deletes the volume's key when the volume goes."""
        return files.remove(self.path)
