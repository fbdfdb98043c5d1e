# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the local filesystem. Files that hold state, secrets or disk images are made
whole or not at all, by ONE helper (``created_atomically``) every writer uses."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import errno
import os
import re
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


def read_head(path, count):
    """The first *count* bytes of a file or block device."""
    with open(path, "rb") as handle:
        return handle.read(count)


def size_bytes(path):
    """The size of a file or a block device (a block device's st_size is 0)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.lseek(fd, 0, os.SEEK_END)
    finally:
        os.close(fd)


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


@contextlib.contextmanager
def created_atomically(path, mode=0o600):
    """Make *path* whole or not at all: yields a temporary path in the same directory for
    the caller to fill (write it, ``qemu-img convert`` into it, ``mkfs`` it); on success
    the file gets *mode*, is fsynced and renamed over *path* (then the directory is
    fsynced); on any error it is removed. Readers see the old file or the new, never half.

    The temporary file exists from the start with mode 0600, so a secret is never
    world-readable, not even for a moment. Not ``AnsibleModule.atomic_move``: for a new
    destination it gives the umask's default mode (0644). A temporary file a killed run
    left behind (its process gone) is removed before a new one is made.
    """
    directory = os.path.dirname(path) or "."
    base = os.path.basename(path)
    _remove_stale_parts(directory, base)
    fd, tmp = tempfile.mkstemp(prefix=".%s.%d." % (base, os.getpid()), suffix=".part", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
    except BaseException:
        remove(tmp)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_atomically(path, text, mode=0o600):
    """Write *text* to *path* through ``created_atomically``."""
    with created_atomically(path, mode) as tmp:
        with open(tmp, "w") as handle:
            handle.write(text)


@contextlib.contextmanager
def private_file(directory, text):
    """A temporary 0600 file in *directory* holding *text*, removed on leaving: a secret
    handed to a program as a file (qemu-img's ``--object secret,file=``), never on argv."""
    fd, tmp = tempfile.mkstemp(prefix=".secret.", dir=directory)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        yield tmp
    finally:
        remove(tmp)


def _remove_stale_parts(directory, base):
    pattern = re.compile(r"^\.%s\.(\d+)\.[^/]*\.part$" % re.escape(base))
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        if match and not _process_alive(int(match.group(1))):
            remove(os.path.join(directory, name))


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM
    return True


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
