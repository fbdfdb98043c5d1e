"""The whole compute side against real parts: a volume exported by iscsi_target on the
test tgtd, opened by QEMU's own iSCSI initiator with CHAP through a libvirt secret,
hot-plugged into a running TCG guest that sees it by its serial and reads its bytes,
then let go on a virtio detach."""

import os
import uuid

import pytest

from support.ansible_run import run_module


@pytest.fixture
def iscsi_volume(tgtd, volume_dir):
    """An exported volume whose first bytes are a known payload: (id, connection_info, payload)."""
    volume_id = str(uuid.uuid4())
    payload = "VBTEST-PAYLOAD-%s" % uuid.uuid4().hex[:12]
    backing = os.path.join(volume_dir, "backing-%s" % volume_id)
    with open(backing, "wb") as handle:
        handle.write(payload.encode())
        handle.truncate(4 << 20)
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing))
    assert not result["failed"], result.get("msg")
    yield volume_id, result["connection_info"], payload
    run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


@pytest.fixture(autouse=True)
def no_secret_left(virt, iscsi_volume):
    """A test that fails half-way must not leave its libvirt secret behind."""
    yield
    data = iscsi_volume[1]["data"]
    secret = virt.secret_by_usage("%s/%s" % (data["target_iqn"], data["target_lun"]))
    if secret is not None:
        virt.cleanup()          # domains first: a secret in use stays until they go
        secret.undefine()


def test_qemu_iscsi_chap_disk_without_guest_os_keeps_the_secret_out(virt, iscsi_volume):
    volume_id, info, _payload = iscsi_volume
    password = info["data"]["auth_password"]
    dom = virt.define(start=True)
    args = dict(domain=dom.name(), volume_id=volume_id, connection_info=info,
                iscsi_initiator="qemu", disk_bus="scsi")
    result = run_module("libvirt_disk_attach", args, diff=True)
    assert result["changed"] and not result["failed"], result.get("msg")
    usage = "%s/%s" % (info["data"]["target_iqn"], info["data"]["target_lun"])
    secret = virt.secret_by_usage(usage)
    assert secret is not None and secret.UUIDString() == result["secret_uuid"]
    assert "private='yes'" in secret.XMLDesc()
    live = virt.live_xml(dom)
    assert "protocol='iscsi'" in live and usage in live and result["secret_uuid"] in live
    for text in (live, virt.config_xml(dom), result["_stdout"], repr(result)):
        assert password not in text
    assert run_module("libvirt_disk_attach", args)["changed"] is False
    gone = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume_id,
                                                  state="detached", detach_timeout=5))
    assert gone["changed"] and not gone["failed"], gone.get("msg")
    assert volume_id not in virt.live_xml(dom)
    assert virt.secret_by_usage(usage) is None          # Nova drops the CHAP secret too


@pytest.mark.slow
def test_guest_sees_the_hotplugged_iscsi_disk_by_serial_reads_it_and_lets_it_go(
        guest, iscsi_volume, virt):
    dom, console = guest
    volume_id, info, payload = iscsi_volume
    result = run_module("libvirt_disk_attach", dict(
        domain=dom.name(), volume_id=volume_id, connection_info=info, iscsi_initiator="qemu"))
    assert result["changed"] and result["device"] == "/dev/vda", result.get("msg")
    # Inside the guest the disk is the first virtio disk; its serial is cut to 20 characters.
    seen = console.wait_for(r"VBTEST-DISK (vd\w+) serial=(\S*) data=(\S*)", timeout=60)
    assert seen.group(2) == volume_id[:20]
    assert seen.group(3).startswith(payload)
    gone = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume_id,
                                                  state="detached", detach_timeout=10,
                                                  detach_attempts=2))
    assert gone["changed"] and not gone["failed"], gone.get("msg")
    console.wait_for(r"VBTEST-GONE %s" % seen.group(1), timeout=30)
    assert volume_id not in virt.live_xml(dom) and volume_id not in virt.config_xml(dom)
