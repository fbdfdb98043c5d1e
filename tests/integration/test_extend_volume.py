"""playbooks/extend_volume.yml end to end: a volume attached to a running TCG guest through
QEMU's own iSCSI initiator grows on the storage side (file backend), tgtd serves the new
size on the same session, QEMU is told (blockResize), and the guest's /sys/block/vda/size
grows without a reboot. Cinder's states and wording, idempotent rerun, check mode."""

import os
import re
import uuid

import pytest

from support.ansible_run import run_module, run_playbook

pytestmark = pytest.mark.slow
GiB = 1 << 30


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def nexus(tgtd, volume_id):
    """The I_T nexus ids of the volume's target (the initiator's sessions)."""
    text = tgtd.tgtadm("--op", "show", "--mode", "target")
    block = text.split("iqn.2010-10.org.openstack:volume-%s" % volume_id, 1)[1].split("\nTarget ", 1)[0]
    sizes = [int(mb) for mb in re.findall(r"Size: (\d+) MB, Block size: 512", block)]
    return re.findall(r"I_T nexus: (\d+)", block), sizes


def mb(size_bytes):
    """tgtd's MB (10**6 bytes), rounded to the nearest as it shows them."""
    return (size_bytes + 500000) // 10 ** 6


def test_extend_while_attached_the_guest_sees_it_on_the_same_session(attach_env, guest, tgtd):
    dom, console = guest
    instance, volume_id = dom.UUIDString(), str(uuid.uuid4())
    made = run_module("volume", dict(volume_id=volume_id, size=1, backing_dir=attach_env.backing_dir))
    assert not made["failed"], made.get("msg")
    assert not run_module("volume_state", dict(volume_id=volume_id, size=1, db_path=attach_env.db_path))["failed"]
    ok(attach_env.attach(instance, volume_id))
    console.wait_for(r"VBTEST-SIZE vda %d\b" % (GiB // 512), timeout=60)
    sessions, sizes = nexus(tgtd, volume_id)
    assert len(sessions) == 1 and sizes == [mb(GiB)]

    def extend(size, **kwargs):
        return run_playbook("extend_volume.yml", attach_env.vars(volume_id=volume_id, new_size=size), **kwargs)

    # check mode: nothing grows, nothing is marked
    assert ok(extend(2, check=True)).changed > 0
    assert os.path.getsize(os.path.join(attach_env.backing_dir, "volume-" + volume_id)) == GiB
    assert attach_env.query("SELECT size, status FROM volumes WHERE id = ?", volume_id) == [
        dict(size=1, status="in-use")]

    first = ok(extend(2))
    assert first.changed == 4          # extending, bytes + LUN, blockResize, extended
    assert first.task_results("Grow the bytes")[0]["target_extended"] is True
    console.wait_for(r"VBTEST-SIZE vda %d\b" % (2 * GiB // 512), timeout=60)
    # the LUN serves 2 GiB to the same I_T nexus: the session was kept
    assert nexus(tgtd, volume_id) == (sessions, [mb(2 * GiB)])
    assert attach_env.query("SELECT size, status FROM volumes WHERE id = ?", volume_id) == [
        dict(size=2, status="in-use")]
    # the guest still reads and sees its disk (no VBTEST-GONE)
    assert "VBTEST-GONE vda" not in console.text()

    assert ok(extend(2)).changed == 0

    shrink = extend(1)
    assert shrink.rc != 0
    assert "New size for extend must be greater than current size. (current: 2, extended: 1)." in shrink.msg
    assert attach_env.query("SELECT size, status FROM volumes WHERE id = ?", volume_id) == [
        dict(size=2, status="in-use")]
    ok(attach_env.detach(instance, volume_id))


def test_extend_of_an_available_volume_and_a_failed_step_marks_error_extending(attach_env):
    volume_id = str(uuid.uuid4())
    assert not run_module("volume", dict(volume_id=volume_id, size=1, backing_dir=attach_env.backing_dir))["failed"]
    assert not run_module("volume_state", dict(volume_id=volume_id, size=1, db_path=attach_env.db_path))["failed"]
    vars_ = attach_env.vars(volume_id=volume_id, new_size=3)
    ok(run_playbook("extend_volume.yml", vars_))
    assert os.path.getsize(os.path.join(attach_env.backing_dir, "volume-" + volume_id)) == 3 * GiB
    assert attach_env.query("SELECT size, status FROM volumes WHERE id = ?", volume_id) == [
        dict(size=3, status="available")]
    # the bytes cannot grow (they are not where the role looks): error_extending, with the
    # step's message, and nothing made there
    elsewhere = os.path.join(attach_env.base, "elsewhere")
    broken = run_playbook("extend_volume.yml", dict(vars_, new_size=4, virtblock_backing_dir=elsewhere))
    assert broken.rc != 0 and broken.msg == "Volume %s could not be found." % volume_id
    assert not os.path.exists(elsewhere)
    assert attach_env.query("SELECT status FROM volumes WHERE id = ?", volume_id) == [dict(status="error_extending")]
    # a rerun is the reset: it finishes the extend
    ok(run_playbook("extend_volume.yml", dict(vars_, new_size=4)))
    assert attach_env.query("SELECT size, status FROM volumes WHERE id = ?", volume_id) == [
        dict(size=4, status="available")]
