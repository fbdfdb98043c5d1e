"""Front-end QoS end to end against real parts: iscsi_target puts the volume type's QoS
spec in connection_info as Cinder does (consumer, per-GB scaled by the volume's size),
libvirt_disk_attach gives the live QEMU disk its <iotune>, and QEMU's own throttle values
(read back with virDomainGetBlockIoTune, Nova's blkdeviotune) are the ones asked for."""

import os
import uuid

import pytest

from support.ansible_run import run_module

SPEC = {"consumer": "both",
        "read_iops_sec_per_gb": 50, "read_iops_sec_per_gb_min": 100,   # 2 GiB: 100 = max(100, 50*2)
        "write_bytes_sec_per_gb": 1 << 20,                             # 2 GiB: 2 MiB/s
        "write_bytes_sec_max": 8 << 20,                                # per-GB cap (Cinder pops it)
        "read_bytes_sec": 1000000, "read_bytes_sec_max": 4000000,      # a burst: kept
        "total_iops_sec_max_length": 1,                                # alone: QEMU's default length
        "backend_only_key": "ignored as Nova ignores it"}


@pytest.fixture
def exported(tgtd, volume_dir):
    """Export a 2 GiB sparse volume with SPEC: (volume id, connection_info)."""
    volume_id = str(uuid.uuid4())
    backing = os.path.join(volume_dir, "volume-%s" % volume_id)
    with open(backing, "wb") as handle:
        handle.truncate(2 << 30)
    made = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                                       qos_specs=SPEC))
    assert not made["failed"], made.get("msg")
    yield volume_id, made["connection_info"], backing
    run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def test_qos_spec_reaches_the_live_qemu_disk(exported, virt):
    volume_id, info, _backing = exported
    specs = info["data"]["qos_specs"]
    assert specs == {"read_iops_sec": 100, "write_bytes_sec": 2 << 20, "read_bytes_sec": 1000000,
                     "read_bytes_sec_max": 4000000, "total_iops_sec_max_length": 1,
                     "backend_only_key": "ignored as Nova ignores it"}
    dom = virt.define(start=True)
    args = dict(domain=dom.name(), volume_id=volume_id, connection_info=info, iscsi_initiator="qemu")
    try:
        attached = run_module("libvirt_disk_attach", args)
        assert attached["changed"] and not attached["failed"], attached.get("msg")
        live = virt.live_xml(dom)
        assert "<read_iops_sec>100</read_iops_sec>" in live
        assert "<write_bytes_sec>2097152</write_bytes_sec>" in live
        assert "backend_only_key" not in live
        tune = dom.blockIoTune(attached["device"].rsplit("/", 1)[-1], 0)
        assert tune["read_iops_sec"] == 100 and tune["write_bytes_sec"] == 2 << 20
        assert tune["read_bytes_sec_max"] == 4000000 and tune["write_bytes_sec_max"] == 0
        assert tune["total_bytes_sec"] == 0
        assert "<iotune>" in virt.config_xml(dom)            # kept across a restart too
        assert run_module("libvirt_disk_attach", args)["changed"] is False
    finally:
        # No guest OS answers a virtio unplug (8 attempts x 5 s for nothing): stop the
        # domain first; the detach then edits its config and removes the CHAP secret.
        if dom.isActive():
            dom.destroy()
        gone = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume_id,
                                                      state="detached", detach_timeout=5))
        assert not gone["failed"], gone.get("msg")


def test_back_end_spec_gives_no_iotune(tgtd, volume_dir):
    volume_id = str(uuid.uuid4())
    backing = os.path.join(volume_dir, "volume-%s" % volume_id)
    open(backing, "wb").close()
    os.truncate(backing, 1 << 20)
    try:
        made = run_module("iscsi_target", tgtd.module_args(
            volume_id=volume_id, backing_store=backing,
            qos_specs={"consumer": "back-end", "total_iops_sec": 10}))
        assert not made["failed"] and made["connection_info"]["data"]["qos_specs"] is None
    finally:
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def test_values_qemu_refuses_fail_before_anything_is_exported(tgtd, volume_dir):
    volume_id = str(uuid.uuid4())
    backing = os.path.join(volume_dir, "volume-%s" % volume_id)
    open(backing, "wb").close()
    os.truncate(backing, 1 << 20)
    failed = run_module("iscsi_target", tgtd.module_args(
        volume_id=volume_id, backing_store=backing,
        qos_specs={"total_iops_sec": 10, "read_iops_sec": 5}))
    assert failed["failed"] and "total_iops_sec cannot be set together with read_iops_sec" in failed["msg"]
    assert "Traceback" not in failed["_stdout"]
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))
    assert volume_id not in tgtd.tgtadm("--op", "show", "--mode", "target")
