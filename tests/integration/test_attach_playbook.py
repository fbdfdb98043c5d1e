"""playbooks/attach_volume.yml and detach_volume.yml end to end: the tests' tgtd, the
real libvirtd + QEMU (a TCG guest where the disk must really appear and go), SQLite."""

import json
import uuid

import pytest

from support.attach_env import CLEAN

pytestmark = pytest.mark.slow


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def test_attach_to_a_running_guest_then_detach_both_idempotent(attach_env, guest, virt):
    dom, console = guest
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()

    first = ok(attach_env.attach(instance, volume_id))
    assert first.changed > 0
    # the export in tgtd, QEMU's CHAP secret in libvirt, the disk in the live and the
    # persistent domain under the reserved name with the volume id as serial
    assert attach_env.in_tgtd(volume_id) and attach_env.libvirt_secret(volume_id) is not None
    for xml in (virt.live_xml(dom), virt.config_xml(dom)):
        assert "<serial>%s</serial>" % volume_id in xml and "<target dev='vda' bus='virtio'/>" in xml
    seen = console.wait_for(r"VBTEST-DISK (vd\w+) serial=(\S*)", timeout=60)
    assert seen.group(2) == volume_id[:20]
    # Nova's BDM and Cinder's attachment, linked by attachment_id; no secret stored or shown
    bdm, = attach_env.bdms(volume_id)
    attachment, = attach_env.query("SELECT * FROM volume_attachment WHERE volume_id = ?", volume_id)
    assert bdm["device_name"] == "/dev/vda" and bdm["attachment_id"] == attachment["id"]
    assert attachment["attach_status"] == "attached" and attachment["mountpoint"] == "/dev/vda"
    assert attach_env.volume_status(volume_id) == "in-use"
    info = json.loads(bdm["connection_info"])
    assert info["data"]["target_iqn"].endswith(volume_id) and "auth_password" not in info["data"]
    secret = attach_env.chap_secret(volume_id)
    assert secret and secret not in first.stdout and secret not in json.dumps(first.tasks)

    again = ok(attach_env.attach(instance, volume_id))
    assert again.changed == 0

    gone = ok(attach_env.detach(instance, volume_id))
    assert gone.changed > 0
    console.wait_for(r"VBTEST-GONE %s" % seen.group(1), timeout=30)
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)
    assert attach_env.target_file(volume_id) is None
    assert ok(attach_env.detach(instance, volume_id)).changed == 0


def test_stopped_domain_gets_the_disk_in_its_config_only(attach_env, virt):
    dom = virt.define()
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    run = ok(attach_env.attach(instance, volume_id, extra=dict(device_name="/dev/vdc", virtblock_iscsi_initiator="auto")))
    # auto, decided on this machine (no iscsi_tcp): QEMU's initiator, and the play says so
    assert "Attach the disk to the domain" in run.stdout and "path: qemu]" in run.stdout, run.stdout[-3000:]
    assert not dom.isActive()
    assert "<target dev='vdc' bus='virtio'/>" in virt.config_xml(dom)
    assert attach_env.bdms(volume_id)[0]["device_name"] == "/dev/vdc"
    assert attach_env.volume_status(volume_id) == "in-use" and attach_env.in_tgtd(volume_id)
    assert ok(attach_env.attach(instance, volume_id, extra=dict(device_name="/dev/vdc"))).changed == 0
    ok(attach_env.detach(instance, volume_id))
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)


def test_shelved_instance_gets_a_bdm_and_a_reservation_only(attach_env):
    instance, volume_id = str(uuid.uuid4()), attach_env.new_volume()   # no domain anywhere
    first = ok(attach_env.attach(instance, volume_id))
    assert first.changed == 1          # one transaction: the BDM and the volume reservation, nothing else
    bdm, = attach_env.bdms(volume_id)
    assert bdm["device_name"] == "/dev/vda" and bdm["connection_info"] is None
    assert attach_env.volume_status(volume_id) == "reserved"
    assert not attach_env.in_tgtd(volume_id) and attach_env.target_file(volume_id) is None
    assert ok(attach_env.attach(instance, volume_id)).changed == 0
    ok(attach_env.detach(instance, volume_id))
    assert attach_env.traces(volume_id) == CLEAN
    assert ok(attach_env.detach(instance, volume_id)).changed == 0


def test_check_mode_attach_changes_nothing(attach_env, virt):
    dom = virt.define()
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    checked = ok(attach_env.attach(instance, volume_id, check=True))
    assert checked.changed > 0
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)


def test_second_volume_takes_the_next_name_and_a_volume_in_use_is_refused(attach_env, virt):
    dom = virt.define()
    instance = dom.UUIDString()
    first, second = attach_env.new_volume(), attach_env.new_volume()
    ok(attach_env.attach(instance, first))
    ok(attach_env.attach(instance, second))
    assert attach_env.bdms(second)[0]["device_name"] == "/dev/vdb"
    # Cinder refuses the in-use volume for another instance; nothing of the try is left.
    other = virt.define()
    refused = attach_env.attach(other.UUIDString(), first)
    assert refused.rc != 0 and refused.msg == "Invalid volume: volume is already attached"
    assert [b["instance_uuid"] for b in attach_env.bdms(first)] == [instance]
    assert first not in virt.config_xml(other)


def test_detach_of_an_rbd_volume_without_a_bdm_never_asks_tgtd(attach_env, virt):
    """A detach rerun (or one whose records are gone) has no BDM to say the volume is rbd:
    the backend does, and an rbd-only deployment has no tgtd to ask. The same detach of a
    file volume does ask tgtd - here one that is not running - and fails."""
    from support import ports
    dom = virt.define()
    volume_id = str(uuid.uuid4())
    no_tgtd = dict(virtblock_tgt_control_port=ports.free_tgtd_control_port())
    rbd = ok(attach_env.detach(dom.UUIDString(), volume_id, extra=dict(no_tgtd, virtblock_backend="rbd")))
    assert rbd.changed == 0
    iscsi = attach_env.detach(dom.UUIDString(), volume_id, extra=no_tgtd)
    assert iscsi.rc != 0 and "tgtd is not running" in iscsi.msg, iscsi.msg
