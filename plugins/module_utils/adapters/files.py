# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Local files that hold state or secrets: written whole or not at all."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import tempfile

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError


def read_text(path):
    """The file's text, or None when it does not exist."""
    try:
        with open(path, "r") as handle:
            return handle.read()
    except IOError as err:
        if err.errno == errno.ENOENT:
            return None
        raise


def ensure_dir(path, mode=0o700):
    """Create *path* (and parents) with *mode* if missing; return True if created."""
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        raise VirtblockError("%s exists and is not a directory" % path)
    try:
        os.makedirs(path, mode)
    except OSError as err:
        raise VirtblockError("cannot create directory %s: %s" % (path, err.strerror or err))
    os.chmod(path, mode)
    return True


def write_atomically(path, text, mode=0o600):
    """Temp file in the same directory, fsync, rename: readers see old or new, never half.

    Not ``AnsibleModule.atomic_move``: for a new destination it sets the umask's
    default mode (0644) on the file, which for a file holding a CHAP secret would be
    world-readable until we narrowed it. Here the temp file is 0600 from its first byte.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove(path):
    """Remove *path*; return True if it existed."""
    try:
        os.unlink(path)
        return True
    except OSError as err:
        if err.errno == errno.ENOENT:
            return False
        raise


def supports_direct_io(path):
    """Whether *path* can be opened with O_DIRECT (Nova's ``_supports_direct_io``):
    tmpfs cannot, and QEMU's cache=none needs it. A missing path counts as able."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag or not os.path.exists(path):
        return True
    try:
        fd = os.open(path, os.O_RDONLY | flag)
    except OSError as err:
        if err.errno == errno.EINVAL:
            return False
        raise
    os.close(fd)
    return True
