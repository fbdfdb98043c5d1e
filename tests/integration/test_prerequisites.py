"""playbooks/prerequisites.yml on this machine (packages and libraries already there from
scripts/setup.sh; no init system, so tgtd is started directly): check mode starts
nothing; a real run starts a stopped tgtd on its portal only, and a rerun changes nothing."""

import os
import subprocess

import pytest

from support import ports
from support.ansible_run import run_playbook
from support.tgtd import SERVICES

pytestmark = pytest.mark.slow


@pytest.fixture
def stopped_tgtd(tmp_path):
    """A control port and loopback portal no tgtd serves yet (picked free, never stopped
    before use: it may be another session's)."""
    with ports.machine_lock():
        port = ports.free_tgtd_control_port()
        ip = ports.free_loopback_ip(3260)
    env = dict(os.environ, TGT_CONTROL_PORT=str(port), TGT_PORTAL="%s:3260" % ip)
    yield port, ip
    subprocess.run([SERVICES, "stop", "tgtd"], env=env, check=True, capture_output=True)


def tgtd_up(port):
    return subprocess.run(["tgtadm", "-C", str(port), "--op", "show", "--mode", "system"],
                          capture_output=True, check=False).returncode == 0


def test_prerequisites_start_tgtd_once_and_check_mode_changes_nothing(stopped_tgtd, tmp_path):
    port, ip = stopped_tgtd
    conf = tmp_path / "targets.conf"
    conf.write_text("")
    variables = dict(virtblock_tgt_control_port=port, virtblock_target_ip_address=ip,
                     prerequisites_tgt_conf=str(conf))
    checked = run_playbook("prerequisites.yml", variables, check=True)
    assert checked.rc == 0, checked.stdout[-3000:]
    assert not tgtd_up(port)
    first = run_playbook("prerequisites.yml", variables)
    assert first.rc == 0 and first.changed > 0, first.stdout[-3000:]
    assert tgtd_up(port)
    listening = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=False).stdout
    assert "%s:3260" % ip in listening
    again = run_playbook("prerequisites.yml", variables)
    assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]
    # This machine's kernel has no iscsi_tcp: the attach role's auto choice is qemu.
    [said] = again.task_results("Say which iSCSI path")
    assert "kernel iSCSI initiator no" in said["msg"]
    assert "iscsi_initiator=auto attaches with qemu" in said["msg"]
