# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the only place that runs ``rbd`` and ``ceph`` (Ceph's own CLIs, ``--format json``).

Cinder's RBD driver talks to librados/librbd through the ``rados``/``rbd`` Python bindings;
those are not on PyPI (Debian's ``python3-rbd`` serves only ``/usr/bin/python3``), so a
module cannot rely on them in its interpreter. The CLIs are the same library underneath,
and their exit code is the errno (2 not found, 13 permission, 16 busy, 17 exists,
39 has snapshots, 110 timed out), which is all the driver needs from librbd's exceptions.

The key never reaches a command line or the environment: the caller gives a keyring path
(Cinder's ``rbd_keyring_conf``) or the key itself, which is written to a 0600 keyring in
a private 0700 directory and passed by path (``--keyring``), removed by ``close()``.
Monitors given without a conf file go into a private conf file the same way.
Every call is bounded: ``client_mount_timeout``, ``rados_mon_op_timeout`` and
``rados_osd_op_timeout`` are set as Cinder sets them from ``rados_connect_timeout``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import env_fallback

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.command import Command
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, VirtblockError, VolumeBackendAPIException)

ENOENT, EACCES, EBUSY, EEXIST, ENOTEMPTY, ETIMEDOUT = 2, 13, 16, 17, 39, 110

# The options every module that talks to Ceph takes (doc fragment virtblock.volumes.rbd),
# named as Cinder's [backend] options.
RBD_ARGUMENT_SPEC = dict(
    rbd_pool=dict(type="str", default="volumes"),
    rbd_ceph_conf=dict(type="path"),
    rbd_mon_host=dict(type="list", elements="str"),
    rbd_cluster_name=dict(type="str", default="ceph"),
    rbd_user=dict(type="str", default="cinder"),
    rbd_keyring=dict(type="path"),
    rbd_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_RBD_KEY"])),
    rados_connect_timeout=dict(type="int", default=20),
)


class RbdError(VolumeBackendAPIException):
    """A failed ``rbd``/``ceph`` call; ``errno`` is its exit code."""

    def __init__(self, what, errno, text):
        super(RbdError, self).__init__("%s failed (errno %d): %s" % (what, errno, text))
        self.errno = errno


class ImageNotFound(RbdError):
    pass


class PoolNotFound(RbdError):
    pass


class ImageBusy(RbdError):
    pass


class ImageHasSnapshots(RbdError):
    pass


def _last_lines(text, count=3):
    lines = [line for line in (text or "").strip().splitlines()
             if line.strip() and "auth: unable to find a keyring" not in line
             and "no keyring found" not in line]
    return " | ".join(lines[-count:])


class Rbd(object):
    """*run* is ``AnsibleModule.run_command`` (argv list, returns rc, out, err)."""

    def __init__(self, run, pool="volumes", conf=None, mon_host=None, cluster="ceph", user="cinder",
                 keyring=None, key=None, timeout=20):
        if not pool:
            raise InvalidInput("rbd_pool must not be empty")
        if not user:
            raise InvalidInput("rbd_user must not be empty")
        if keyring and key:
            raise InvalidInput("rbd_keyring and rbd_key are mutually exclusive")
        if keyring and not os.path.isfile(keyring):
            raise InvalidInput("rbd_keyring %s is not a file" % keyring)
        if conf and not os.path.isfile(conf):
            raise InvalidInput("rbd_ceph_conf %s is not a file" % conf)
        if timeout is None or timeout < 1:
            raise InvalidInput("rados_connect_timeout must be at least 1 second")
        self.run = run
        self.pool = pool
        self.user = user
        self.cluster = cluster or "ceph"
        self.timeout = timeout
        self.mon_host = mon_host
        self._private = None
        self.conf = conf
        self.keyring = keyring
        if key or mon_host:
            self._private = tempfile.mkdtemp(prefix="virtblock-rbd-")
            os.chmod(self._private, 0o700)
        if key:
            self.keyring = self._write_private("keyring", "[client.%s]\n\tkey = %s\n" % (user, key))
        if mon_host and not conf:
            self.conf = self._write_private("ceph.conf", "[global]\nmon host = %s\n" % ",".join(mon_host))

    def _write_private(self, name, text):
        path = os.path.join(self._private, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path

    def close(self):
        if self._private:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- calls -----------------------------------------------------------------------
    def _common(self):
        args = ["--id", self.user, "--cluster", self.cluster]
        if self.conf:
            args += ["--conf", self.conf]
        if self.keyring:
            args += ["--keyring", self.keyring]
        for option in ("client_mount_timeout", "rados_mon_op_timeout", "rados_osd_op_timeout"):
            args += ["--%s" % option, str(self.timeout)]
        return args

    def _call(self, tool, argv, what=None, ok=(0,)):
        # The shared runner (argv, LANG=C); rc is mapped to Cinder's RBD errors below.
        rc, out, err = Command(self.run, tool)(self._common() + argv, check=False)
        if rc in ok:
            return rc, out
        what = what or "%s %s" % (tool, " ".join(a for a in argv[:2] if not a.startswith("-")))
        text = _last_lines(err or out)
        if rc == ETIMEDOUT:
            raise RbdError(what, rc, "the Ceph monitors (%s) did not answer within %d s: %s"
                           % (self.monitors_text(), self.timeout, text))
        if rc in (EACCES, 1) and ("couldn't connect" in text or "Permission denied" in text):
            raise RbdError(what, rc, "Error connecting to ceph cluster as client.%s (wrong key or "
                           "missing caps): %s" % (self.user, text))
        if rc == ENOENT and "error opening pool" in text:
            raise PoolNotFound(what, rc, "pool %s does not exist: %s" % (self.pool, text))
        cls = {ENOENT: ImageNotFound, EBUSY: ImageBusy, ENOTEMPTY: ImageHasSnapshots}.get(rc, RbdError)
        raise cls(what, rc, text)

    def _rbd(self, argv, what=None, ok=(0,)):
        return self._call("rbd", argv, what, ok)

    def _json(self, argv, what=None):
        return json.loads(self._rbd(argv + ["--format", "json"], what)[1] or "null")

    def spec(self, image, pool=None, snap=None):
        return "%s/%s%s" % (pool or self.pool, image, "@%s" % snap if snap else "")

    def monitors_text(self):
        if self.mon_host:
            return ", ".join(self.mon_host)
        return "of %s" % (self.conf or "/etc/ceph/%s.conf" % self.cluster)

    # ---- images ------------------------------------------------------------------------
    def check_pool(self, pool=None):
        """Fails with PoolNotFound, a connection or key error; also proves we can connect."""
        self._rbd(["ls", pool or self.pool, "--format", "json"], "rbd ls %s" % (pool or self.pool))

    def info(self, image, pool=None):
        """``rbd info`` as a dict (size, parent, features, ...), or None when missing."""
        try:
            return self._json(["info", self.spec(image, pool)])
        except ImageNotFound:
            return None

    def listing(self, pool=None):
        """``rbd ls -l``: images and their snapshots (entries with a ``snapshot`` key)."""
        return self._json(["ls", "-l", pool or self.pool]) or []

    def snapshots(self, image, pool=None):
        return self._json(["snap", "ls", self.spec(image, pool)]) or []

    def watchers(self, image, pool=None):
        return (self._json(["status", self.spec(image, pool)]) or {}).get("watchers") or []

    def create(self, image, size_bytes):
        self._rbd(["create", "--no-progress", "--size", "%dB" % size_bytes, self.spec(image)])

    def resize(self, image, size_bytes):
        self._rbd(["resize", "--no-progress", "--size", "%dB" % size_bytes, self.spec(image)])

    def clone(self, src_pool, src_image, src_snap, image):
        self._rbd(["clone", self.spec(src_image, src_pool, src_snap), self.spec(image)])

    def copy(self, src_image, image):
        self._rbd(["cp", "--no-progress", self.spec(src_image), self.spec(image)])

    def flatten(self, image):
        self._rbd(["flatten", "--no-progress", self.spec(image)])

    def remove(self, image, pool=None):
        self._rbd(["rm", "--no-progress", self.spec(image, pool)])

    def rename(self, image, new_name):
        self._rbd(["rename", self.spec(image), self.spec(new_name)])

    def snap_create(self, image, snap, protect=True, pool=None):
        self._rbd(["snap", "create", "--no-progress", self.spec(image, pool, snap)])
        if protect:
            self._rbd(["snap", "protect", self.spec(image, pool, snap)])

    def snap_remove(self, image, snap, pool=None):
        """Unprotect (if protected) and remove; ImageBusy while clones depend on it."""
        self._rbd(["snap", "unprotect", self.spec(image, pool, snap)], ok=(0, 22))
        self._rbd(["snap", "rm", "--no-progress", self.spec(image, pool, snap)])

    def meta_get(self, image, key, pool=None):
        rc, out = self._rbd(["image-meta", "get", self.spec(image, pool), key], ok=(0, ENOENT))
        return out.strip() if rc == 0 else None

    def meta_set(self, image, key, value, pool=None):
        self._rbd(["image-meta", "set", self.spec(image, pool), key, value])

    def qemu_uri(self, image):
        """The ``rbd:`` filename qemu-img opens the image by (paths only, never the key)."""
        def esc(value):
            return str(value).replace("\\", "\\\\").replace(":", "\\:").replace("@", "\\@")
        parts = ["rbd:%s/%s" % (esc(self.pool), esc(image)), "id=%s" % esc(self.user)]
        if self.conf:
            parts.append("conf=%s" % esc(self.conf))
        if self.keyring:
            parts.append("keyring=%s" % esc(self.keyring))
        parts.append("client_mount_timeout=%d" % self.timeout)
        return ":".join(parts)

    def keyring_text(self):
        """The keyring's text (Cinder's ``_get_keyring_contents``), or None without one."""
        if not self.keyring or not os.path.isfile(self.keyring):
            return None
        with open(self.keyring) as handle:
            return handle.read()

    # ---- the cluster -------------------------------------------------------------------
    def mon_addrs(self):
        """Cinder's ``_get_mon_addrs``: (hosts, ports) of the monmap's (v1) addresses."""
        rc, out = self._call("ceph", ["mon", "dump", "--format=json"], "ceph mon dump")
        lines = out.split("\n")
        if lines[0].startswith("dumped monmap epoch"):
            lines = lines[1:]
        try:
            monmap = json.loads("\n".join(lines))
        except ValueError:
            raise VirtblockError("ceph mon dump returned no JSON: %s" % out[:200])
        hosts, ports = [], []
        for mon in monmap.get("mons", []):
            host_port = mon["addr"][:mon["addr"].rindex("/")]
            host, port = host_port.rsplit(":", 1)
            hosts.append(host.strip("[]"))
            ports.append(port)
        return hosts, ports

    def fsid(self):
        return json.loads(self._call("ceph", ["fsid", "--format=json"], "ceph fsid")[1])["fsid"]


def from_params(run, params):
    """An Rbd client from a module's RBD_ARGUMENT_SPEC parameters."""
    return Rbd(run, pool=params["rbd_pool"], conf=params["rbd_ceph_conf"], mon_host=params["rbd_mon_host"],
               cluster=params["rbd_cluster_name"], user=params["rbd_user"], keyring=params["rbd_keyring"],
               key=params["rbd_key"], timeout=params["rados_connect_timeout"])


# rbd_connection's options, defined once (the module takes them from here): the client's
# plus Cinder's initialize_connection arguments. That module has no driver: it asks this adapter.
RBD_CONNECTION_SPEC = dict(
    argument_spec=dict(
        RBD_ARGUMENT_SPEC,
        volume_id=dict(type="str", required=True),
        rbd_secret_uuid=dict(type="str", no_log=False),   # a uuid naming the secret, not one
        access_mode=dict(type="str", choices=["rw", "ro"], default="rw"),
        qos_specs=dict(type="dict"),
        encrypted=dict(type="bool", default=False),
        include_keyring=dict(type="bool", default=False),
    ),
    mutually_exclusive=[("rbd_keyring", "rbd_key")],
)
