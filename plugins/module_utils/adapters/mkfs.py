# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the only place that runs ``mkfs`` and ``mkswap`` (Nova's ``nova.privsep.fs``)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.command import Command


class Mkfs(object):
    """*run* is ``AnsibleModule.run_command``; *which* is ``AnsibleModule.get_bin_path``."""

    def __init__(self, run, which):
        self.run = run
        self.which = which

    def _call(self, argv):
        Command(self.run, argv[0], which=self.which)(argv[1:])

    def make_fs(self, path, fs_type, label):
        """Nova's ``mkfs``: ``mkfs -t <fs> [-F] -L <label> <path>`` on a file."""
        argv = ["mkfs.%s" % fs_type]
        if fs_type.startswith("ext"):
            argv += ["-q", "-F"]   # a regular file, not a block device: do not ask
        argv += (["-n", label[:11]] if fs_type == "vfat" else ["-L", label]) + [path]
        self._call(argv)

    def make_swap(self, path):
        self._call(["mkswap", path])
