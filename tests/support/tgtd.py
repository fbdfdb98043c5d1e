"""A private tgtd for the tests, started with the project's service helper.

It runs on a control port and a loopback portal that no other tgtd or process holds
(chosen under a machine-wide lock, see ``ports``), so it neither disturbs nor depends on a
tgtd the demo or another checkout's tests started. VIRTBLOCK_TEST_TGT_PORT and
VIRTBLOCK_TEST_PORTAL_IP fix them instead. The session stops only the tgtd it started.
"""

import os
import subprocess

import pytest

from support import ports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")


class Tgtd(object):
    def __init__(self, base):
        self.port = 3260
        fixed_port = os.environ.get("VIRTBLOCK_TEST_TGT_PORT")
        self.control_port = int(fixed_port) if fixed_port else ports.free_tgtd_control_port()
        self.ip = os.environ.get("VIRTBLOCK_TEST_PORTAL_IP") or ports.free_loopback_ip(self.port)
        self.base = base
        self.volumes_dir = os.path.join(base, "volumes")
        self.include_file = os.path.join(base, "conf.d", "virtblock-volumes.conf")
        self.conf = os.path.join(base, "targets.conf")
        os.makedirs(os.path.dirname(self.include_file), exist_ok=True)
        with open(self.conf, "w") as handle:
            handle.write("include %s/conf.d/*.conf\n" % base)
        self.env = dict(os.environ, TGT_CONTROL_PORT=str(self.control_port),
                        TGT_PORTAL="%s:%d" % (self.ip, self.port), TGT_CONF=self.conf,
                        TGT_LOG=os.path.join(base, "tgtd.log"))

    def _service(self, action):
        subprocess.run([SERVICES, action, "tgtd"], env=self.env, check=True,
                       capture_output=True, text=True, timeout=60)

    def start(self):
        self._service("start")

    def stop(self):
        self._service("stop")

    def restart(self):
        self._service("restart")

    def module_args(self, **extra):
        """The iscsi_target arguments that point a module at this tgtd."""
        args = dict(control_port=self.control_port, volumes_dir=self.volumes_dir,
                    tgt_include_file=self.include_file, target_ip_address=self.ip,
                    target_port=self.port)
        args.update(extra)
        return args

    def tgtadm(self, *argv):
        return subprocess.run(["tgtadm", "-C", str(self.control_port)] + list(argv),
                              capture_output=True, text=True, check=True).stdout


def start_private(base):
    """A tgtd of our own, started under the machine lock on a free control port and portal
    (the tests' session fixture, the benchmarks); the caller stops it, and only it."""
    with ports.machine_lock():
        daemon = Tgtd(base)
        if not ports.tgtd_control_port_free(daemon.control_port):
            raise RuntimeError("a tgtd already answers on control port %d; a session starts "
                               "its own and never touches another's" % daemon.control_port)
        daemon.start()
    return daemon


@pytest.fixture(scope="session")
def tgtd(tmp_path_factory):
    try:
        daemon = start_private(str(tmp_path_factory.mktemp("tgtd")))
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield daemon
    finally:
        daemon.stop()
