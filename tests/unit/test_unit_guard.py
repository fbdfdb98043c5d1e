"""The guard of tests/unit/conftest.py: a unit test that reaches for a daemon fails."""

import subprocess

import pytest

from support.unit_guard import DAEMON_FIXTURES, DaemonInUnitTest, is_daemon_program


@pytest.mark.parametrize("name", DAEMON_FIXTURES)
def test_a_daemon_fixture_fails_the_unit_test(request, name):
    with pytest.raises(DaemonInUnitTest, match="move it to tests/integration"):
        request.getfixturevalue(name)


def test_starting_a_daemon_program_fails_the_unit_test():
    with pytest.raises(DaemonInUnitTest, match="to run tgtd"):
        subprocess.run(["tgtd", "-f"], check=False)
    with pytest.raises(DaemonInUnitTest, match="to run qemu-system-x86_64"):
        subprocess.Popen(["/usr/bin/qemu-system-x86_64", "-version"])


def test_other_programs_still_run():
    assert not is_daemon_program(["ansible-doc", "--json"])
    assert is_daemon_program("/usr/lib/postgresql/15/bin/pg_ctl start")
    assert subprocess.run(["true"], check=False).returncode == 0
