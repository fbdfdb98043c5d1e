"""A private tgtd for the tests, started with the project's service helper.

It runs on its own control port and a loopback portal (127.0.0.2 by default) so it
neither disturbs nor depends on a tgtd the demo started. VIRTBLOCK_TEST_TGT_PORT and
VIRTBLOCK_TEST_PORTAL_IP change them.
"""

import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")


class Tgtd(object):
    def __init__(self, base):
        self.control_port = int(os.environ.get("VIRTBLOCK_TEST_TGT_PORT", "7"))
        self.ip = os.environ.get("VIRTBLOCK_TEST_PORTAL_IP", "127.0.0.2")
        self.port = 3260
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


@pytest.fixture(scope="session")
def tgtd(tmp_path_factory):
    daemon = Tgtd(str(tmp_path_factory.mktemp("tgtd")))
    daemon.stop()   # a leftover from an interrupted run would hold stale targets
    daemon.start()
    yield daemon
    daemon.stop()
