"""tests/unit is pure and fast: no daemon (tgtd, libvirtd, PostgreSQL, QEMU, Ceph, MySQL).

Two guards keep it so:
- the daemon fixtures of tests/support are replaced here by ones that fail the test with a
  pointer to tests/integration (also when asked for through ``request.getfixturevalue``);
- starting a daemon or a daemon's client (tgtd, tgtadm, libvirtd, qemu, pg_ctl, the
  project's services.sh...) from a unit test's own process fails it too.
"""

import subprocess

import pytest

from support.unit_guard import DAEMON_FIXTURES, program_of, is_daemon_program, refuse


def _guard(name):
    @pytest.fixture(name=name)
    def refused():
        refuse("the %r fixture" % name)
    refused.__doc__ = "Refused in tests/unit: %s starts or uses a daemon." % name
    return refused


for _name in DAEMON_FIXTURES:
    globals()["refuse_" + _name] = _guard(_name)


@pytest.fixture(autouse=True)
def no_daemon_processes(monkeypatch):
    real_init = subprocess.Popen.__init__

    def guarded_init(self, args, *rest, **kwargs):
        if is_daemon_program(args):
            refuse("to run %s" % program_of(args))
        real_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded_init)
