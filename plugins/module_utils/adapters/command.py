# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter helper: the one way the CLI adapters (qemu-img, LVM, mkfs, ...) run a program.

In the spirit of community.general's ``CmdRunner`` and oslo.concurrency's
``processutils.execute``, in small: an argv list (never a shell string), ``LANG=C`` /
``LC_ALL=C`` so the output the adapters parse and the errors operators read are the same
everywhere, and a non-zero rc turned into a named error (``ProcessExecutionError``, or the
adapter's own class such as Cinder's ``VolumeBackendAPIException``) carrying the command's
name, rc and stderr. A secret goes to the program on stdin (``data=``), never on argv:
argv is visible to every user in ``/proc/<pid>/cmdline`` and may be logged.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ProcessExecutionError, VirtblockError)

C_LOCALE = {"LANG": "C", "LC_ALL": "C", "LC_MESSAGES": "C"}


class Command(object):
    """Run *binary* with ``run`` (``AnsibleModule.run_command``).

    *which* (``AnsibleModule.get_bin_path``), when given, finds the binary first and a
    missing one is a clear error. *error* is the class raised on a non-zero rc: it gets
    the ``ProcessExecutionError`` message as its one field, plus ``cmd``, ``exit_code`` and
    ``stderr`` in its ``kwargs``.
    """

    def __init__(self, run, binary, which=None, error=ProcessExecutionError):
        self.run = run
        self.binary = binary
        self.which = which
        self.error = error

    def __call__(self, args, name=None, check=True, data=None):
        """Run ``binary args...``; return (rc, out, err). *name* is the command as the
        error names it (default: the binary); *data* is written to stdin."""
        name = name or self.binary
        binary = self.binary
        if self.which is not None:
            binary = self.which(self.binary)
            if not binary:
                raise VirtblockError("%s not found on the compute host (install the package "
                                     "that provides it)" % self.binary)
        extra = dict(data=data, binary_data=True) if data is not None else {}
        rc, out, err = self.run([binary] + [str(arg) for arg in args],
                                environ_update=dict(C_LOCALE), **extra)
        if rc != 0 and check:
            failure = ProcessExecutionError(cmd=name, exit_code=rc, stderr=(err or out).strip())
            if self.error is ProcessExecutionError:
                raise failure
            raise self.error(failure.msg, **failure.kwargs)
        return rc, out, err

    def output(self, args, name=None, data=None):
        """Run and return stdout; a non-zero rc raises."""
        return self(args, name=name, data=data)[1]
