# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the only place that runs ``qemu-img``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.command import Command
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VolumeBackendAPIException


class QemuImg(object):
    """*run* is ``AnsibleModule.run_command`` (argv list, returns rc, out, err)."""

    def __init__(self, run, binary="qemu-img"):
        self.command = Command(run, binary, error=VolumeBackendAPIException)

    def _call(self, argv):
        return self.command.output(argv, name="qemu-img %s" % argv[0])

    def info(self, path):
        # -U: read an image another process (a running VM) holds open, as Cinder does.
        return json.loads(self._call(["info", "-U", "--output=json", path]))

    def convert_to_raw(self, src, src_format, dest, dest_exists=False):
        argv = ["convert", "-f", src_format, "-O", "raw"]
        if dest_exists:
            argv.append("-n")  # write onto an existing block device, do not create
        self._call(argv + [src, dest])

    def create_overlay(self, path, backing, backing_format="raw", size_bytes=None):
        """Nova's ``create_cow_image``: a qcow2 file over *backing*, optionally larger."""
        argv = ["create", "-f", "qcow2", "-F", backing_format, "-b", backing, path]
        if size_bytes:
            argv.append(str(size_bytes))
        self._call(argv)

    def create_luks(self, path, passphrase_file, size_bytes=0):
        """A LUKSv1 container (qemu's defaults: aes-256-xts-plain64, sha256), as os-brick's
        ``LuksEncryptor._format_volume`` makes one with ``cryptsetup luksFormat --type luks1``.
        The passphrase reaches qemu-img only as a 0600 file (``--object secret,file=``),
        never on argv. Size 0 writes the header alone; the caller grows the file so that the
        volume is its full size with the header inside, as a formatted Cinder volume is."""
        self._call(["create", "-f", "luks",
                    "--object", "secret,id=luks_sec,format=raw,file=%s" % passphrase_file,
                    "-o", "key-secret=luks_sec", path, str(size_bytes)])

    def convert_to_luks(self, src, src_format, dest, passphrase_file):
        """An image converted into a new LUKS container (Cinder's ``image_utils.convert_image``
        with a passphrase file, for a volume made from an image with an encrypted type)."""
        self._call(["convert", "-f", src_format, "-O", "luks",
                    "--object", "secret,id=luks_sec,format=raw,file=%s" % passphrase_file,
                    "-o", "key-secret=luks_sec", src, dest])

    def luks_payload_offset(self, path):
        """Bytes of the LUKS header before the payload (Nova reads ``payload-offset`` from
        ``qemu-img info`` to resize an attached encrypted volume)."""
        return int(self.info(path)["format-specific"]["data"]["payload-offset"])
