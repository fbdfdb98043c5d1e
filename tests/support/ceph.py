"""A real single-node Ceph for the rbd tests: one per test session, shared by every test.

``scripts/ceph/up.sh`` starts a mon and one bluestore OSD on a sparse file (and no mgr: rbd
needs none) on a loopback address whose mon ports (3300, 6789) nobody holds, chosen under
the machine-wide port lock (see ``ports``), so two checkouts' sessions run side by side.
Its cephx user is per session (``client.vbtest-<hex>``, ``profile rbd`` on ``volumes`` and
``images``, as a Cinder deployment's ``client.cinder``): libvirt's ceph secret usage name
``client.<user> secret`` is global in a libvirtd. Stopped (by the pids it recorded) at the
session's end. Skipped, with the reason, only when Ceph is not installed
(``scripts/ceph/install.sh``, run by ``scripts/setup.sh``); a cluster that is installed but
does not start fails the tests that use it.
"""

import base64
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest

from support import ports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "scripts", "ceph")
MON_PORTS = (3300, 6789)
OSD_ROOT = os.environ.get("VIRTBLOCK_CEPH_OSD_ROOT", "/opt/virtblock-ceph-osd")


def missing():
    """Why Ceph cannot run here, or None."""
    for tool in ("ceph-mon", "ceph-authtool", "monmaptool", "rbd", "rados", "ceph"):
        if not shutil.which(tool):
            return "%s is not installed (scripts/ceph/install.sh installs Ceph)" % tool
    if not (shutil.which("ceph-osd") or os.access(os.path.join(OSD_ROOT, "usr/bin/ceph-osd"), os.X_OK)):
        return "ceph-osd is not installed (scripts/ceph/install.sh unpacks it)"
    return None


class Ceph(object):
    def __init__(self, path, ip, user):
        self.path, self.ip, self.user = path, ip, user
        self.conf = os.path.join(path, "ceph.conf")
        self.keyring = os.path.join(path, user + ".keyring")
        self.admin_keyring = os.path.join(path, "admin.keyring")
        with open(self.keyring) as handle:
            self.key = re.search(r"key\s*=\s*(\S+)", handle.read()).group(1)
        self.mon_hosts, self.mon_ports = [ip], ["6789"]

    def client_args(self, **extra):
        """The Ceph client arguments (doc fragment rbd) that point a module at this cluster."""
        args = dict(rbd_ceph_conf=self.conf, rbd_user=self.user, rbd_keyring=self.keyring)
        args.update(extra)
        return args

    def module_args(self, **extra):
        """The volume module's arguments for its rbd backend on this cluster."""
        return self.client_args(backend="rbd", **extra)

    def rbd(self, *args, **kwargs):
        """``rbd`` as the session's user; CalledProcessError.returncode is the errno
        (2 not found, 16 busy/watchers, 17 exists, 39 has snapshots)."""
        return subprocess.run(["rbd", "-c", self.conf, "--id", self.user, "--keyring", self.keyring]
                              + list(args), check=kwargs.get("check", True), capture_output=True,
                              text=True, timeout=120).stdout

    def exists(self, name, pool="volumes"):
        return name in self.rbd("ls", pool).split()

    def import_bytes(self, pool_image, data, size):
        """A new image of *size* bytes holding *data* at offset 0, written through rbd."""
        with tempfile.NamedTemporaryFile(dir=self.path) as handle:
            handle.write(data)
            handle.truncate(size)
            handle.flush()
            self.rbd("import", "--no-progress", handle.name, pool_image)

    def glance_image(self, path, image_id):
        """An image as Glance's RBD store keeps it: ``images/<id>`` (raw) with a protected
        snapshot ``snap``."""
        self.rbd("import", "--no-progress", path, "images/%s" % image_id)
        self.rbd("snap", "create", "images/%s@snap" % image_id)
        self.rbd("snap", "protect", "images/%s@snap" % image_id)

    def decoded_key(self):
        return base64.b64decode(self.key)


def _start(base):
    with ports.machine_lock():
        ip = os.environ.get("VIRTBLOCK_TEST_CEPH_IP")
        if not ip:
            for _attempt in range(50):
                ip = ports.free_loopback_ip(MON_PORTS[1])
                if ports.port_free(ip, MON_PORTS[0]):
                    break
        user = "vbtest-%s" % uuid.uuid4().hex[:8]
        path = os.path.join(base, "cluster")
        env = dict(os.environ, CLIENT=user)
        up = subprocess.run([os.path.join(SCRIPTS, "up.sh"), path, ip], env=env,
                            capture_output=True, text=True, timeout=240, check=False)
    if up.returncode != 0:
        log = ""
        for name in ("mon.a.out", "osd.0.out"):
            try:
                with open(os.path.join(path, "log", name)) as handle:
                    log += "\n--- %s\n%s" % (name, handle.read()[-2000:])
            except OSError:
                pass
        _stop(path)
        pytest.fail("scripts/ceph/up.sh failed (rc %d):\n%s\n%s%s"
                    % (up.returncode, up.stdout[-2000:], up.stderr[-3000:], log))
    return Ceph(path, ip, user)


def _stop(path):
    subprocess.run([os.path.join(SCRIPTS, "down.sh"), path], env=dict(os.environ, KILL="1"),
                   capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def ceph():
    reason = missing()
    if reason:
        pytest.skip("no Ceph here: %s" % reason)
    # bluestore opens its file with O_DIRECT: /var/tmp, not a tmpfs /tmp
    base = tempfile.mkdtemp(prefix="vbtest-ceph-", dir=os.environ.get("VIRTBLOCK_CEPH_DIR", "/var/tmp"))
    cluster = _start(base)
    try:
        yield cluster
    finally:
        _stop(cluster.path)
        shutil.rmtree(base, ignore_errors=True)
