"""Read-only attach end to end: a readonly volume attached with attach_mode ro to a running
TCG guest through QEMU's iSCSI initiator gets <readonly/>, and the guest's write to it is
refused while the same write to a rw volume beside it lands on the storage side."""

import os

import pytest

from support.ansible_run import run_module

pytestmark = pytest.mark.slow

PROBE = b"VBTEST-WRITE-PROBE"
MARK = b"X" * 512


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def probe_volume(attach_env):
    volume_id = attach_env.new_volume()
    path = os.path.join(attach_env.backing_dir, "volume-" + volume_id)
    with open(path, "r+b") as handle:
        handle.write(PROBE)
        handle.seek(4096)
        handle.write(MARK)
    return volume_id, path


def at_4096(path):
    with open(path, "rb") as handle:
        handle.seek(4096)
        return handle.read(512)


def test_a_guest_cannot_write_a_read_only_volume(attach_env, guest, virt):
    dom, console = guest
    instance = dom.UUIDString()
    ro_id, ro_path = probe_volume(attach_env)
    rw_id, rw_path = probe_volume(attach_env)
    assert not run_module("volume_state", dict(volume_id=ro_id, readonly=True, db_path=attach_env.db_path))["failed"]
    ok(attach_env.attach(instance, ro_id, extra=dict(attach_volume_attach_mode="ro")))
    ok(attach_env.attach(instance, rw_id))
    live = virt.live_xml(dom)
    ro_disk = live.split("<serial>%s</serial>" % ro_id)[0].rsplit("<disk ", 1)[1]
    assert "<readonly/>" in ro_disk
    assert "<readonly/>" not in live.split("<serial>%s</serial>" % rw_id)[0].rsplit("<disk ", 1)[1]
    console.wait_for(r"VBTEST-WRITE vda refused", timeout=90)
    console.wait_for(r"VBTEST-WRITE vdb ok", timeout=90)
    assert at_4096(ro_path) == MARK                  # nothing reached the storage side
    assert at_4096(rw_path) == b"\0" * 512           # the rw guest's write did
    ok(attach_env.detach(instance, rw_id))
    ok(attach_env.detach(instance, ro_id))


def test_a_readonly_volume_refuses_a_rw_attach_and_nothing_is_left(attach_env, virt):
    """Cinder's InvalidVolumeAttachMode through the attach role (its one reservation
    transaction): the play fails with Cinder's wording and, as after Nova's cleanup, no
    BDM, no attachment, no export and no disk remain."""
    dom = virt.define()
    volume_id = attach_env.new_volume()
    assert not run_module("volume_state", dict(volume_id=volume_id, readonly=True,
                                               db_path=attach_env.db_path))["failed"]
    refused = attach_env.attach(dom.UUIDString(), volume_id)
    assert refused.rc != 0
    assert "Invalid attaching mode 'rw' for volume %s" % volume_id in refused.msg, refused.msg
    assert volume_id not in virt.config_xml(dom)
    assert attach_env.traces(volume_id) == dict(tgtd=False, target_file=False, libvirt_secret=False,
                                                bdms=0, status="available")
    assert attach_env.query("SELECT * FROM volume_attachment WHERE volume_id = ?", volume_id) == []
    ok(attach_env.attach(dom.UUIDString(), volume_id, extra=dict(attach_volume_attach_mode="ro")))
    assert "<readonly/>" in virt.config_xml(dom)
