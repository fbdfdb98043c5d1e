# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the only place that runs the LVM tools (Cinder's ``brick.local_dev.lvm``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.command import Command
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VolumeBackendAPIException

BOOTABLE_TAG = "virtblock_bootable"


class LVM(object):

    def __init__(self, run, vg):
        self.run = run
        self.vg = vg

    def _call(self, argv, check=True):
        return Command(self.run, argv[0], error=VolumeBackendAPIException)(argv[1:], check=check)

    def lv(self, name):
        """``{"size": bytes, "tags": [...]}`` or None when the LV does not exist."""
        rc, out, dummy = self._call(["lvs", "--noheadings", "--units", "b", "--nosuffix", "--separator", "|",
                                     "-o", "lv_size,lv_tags", "%s/%s" % (self.vg, name)], check=False)
        if rc != 0 or not out.strip():
            return None
        size, dummy, tags = out.strip().partition("|")
        return {"size": int(size), "tags": [t for t in tags.split(",") if t]}

    def path(self, name):
        return "/dev/%s/%s" % (self.vg, name)

    def create(self, name, size_bytes):
        self._call(["lvcreate", "-y", "-n", name, "-L", "%db" % size_bytes, self.vg])

    def extend(self, name, size_bytes):
        self._call(["lvextend", "-L", "%db" % size_bytes, "%s/%s" % (self.vg, name)])

    def snapshot(self, name, origin, size_bytes):
        """Cinder LVM ``create_lv_snapshot``: a copy-on-write snapshot LV of *origin*."""
        self._call(["lvcreate", "-y", "--name", name, "--snapshot", "-L", "%db" % size_bytes,
                    "%s/%s" % (self.vg, origin)])

    def remove(self, name):
        self._call(["lvremove", "-f", "%s/%s" % (self.vg, name)])

    def tag(self, name, tag):
        self._call(["lvchange", "--addtag", tag, "%s/%s" % (self.vg, name)])
