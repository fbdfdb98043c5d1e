"""connector_info and volume_connection against os-brick on this host, and on the
compute-node guest (tests/support/compute_node.py) for the kernel initiator.

The host (kernel) iSCSI login cannot work on these machines (no iscsi_tcp): its
failure is tested here for real; its success runs in the compute-node guest, which has
Debian's kernel with iscsi_tcp, over SSH."""

import subprocess
import uuid

import pytest

from support.ansible_run import run_module
from support.compute_node import GUEST_PORTALS

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.os_brick import kernel_initiator_present


def initiator_name():
    with open("/etc/iscsi/initiatorname.iscsi") as handle:
        for line in handle:
            if line.startswith("InitiatorName="):
                return line.strip().split("=", 1)[1]
    return None


def test_connector_info_is_os_bricks_connector():
    result = run_module("connector_info", dict(my_ip="127.0.0.3", host="vbtest-compute"))
    assert not result["failed"], result.get("msg")
    connector = result["connector"]
    assert result["changed"] is False
    assert connector["initiator"] == initiator_name()
    assert connector["ip"] == "127.0.0.3" and connector["host"] == "vbtest-compute"
    assert connector["os_type"] == "linux" and connector["platform"] == "x86_64"
    assert connector["multipath"] is False and connector["do_local_attach"] is False


def test_connector_info_refuses_a_bad_ip():
    result = run_module("connector_info", dict(my_ip="not-an-ip"))
    assert result["failed"] and "my_ip 'not-an-ip' is not an IP address" in result["msg"]


@pytest.fixture
def export(tgtd, tmp_path):
    volume_id = str(uuid.uuid4())
    backing = tmp_path / "backing"
    backing.write_bytes(b"\0" * (1 << 20))
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=str(backing)))
    assert not result["failed"], result.get("msg")
    yield result["connection_info"]
    run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def node_records():
    proc = subprocess.run(["iscsiadm", "-m", "node"], capture_output=True, text=True, check=False)
    return proc.stdout


@pytest.mark.skipif(kernel_initiator_present(), reason="this host has a kernel iSCSI initiator")
def test_host_login_without_kernel_initiator_fails_clearly_and_cleanly(export):
    result = run_module("volume_connection", dict(connection_info=export, device_scan_attempts=1),
                        timeout=120)
    assert result["failed"]
    assert result["msg"].startswith("Volume device not found at /dev/disk/by-path/ip-%s-iscsi-%s-lun-1."
                                    % (export["data"]["target_portal"], export["data"]["target_iqn"]))
    assert "no kernel iSCSI initiator" in result["msg"] and "os-brick connect_volume failed" in result["msg"]
    assert export["data"]["target_iqn"] not in node_records()        # no node record left
    assert export["data"]["auth_password"] not in result["_stdout"]


@pytest.mark.slow
def test_host_login_gives_a_stable_device_path_and_logs_out(tgtd, tmp_path, compute_node,
                                                            compute_inventory):
    # In the compute-node guest (kernel initiator), logging in to the guest-side portal.
    volume_id = str(uuid.uuid4())
    backing = tmp_path / "backing"
    backing.write_bytes(b"\0" * (1 << 20))
    made = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=str(backing),
                                                       target_ip_address=GUEST_PORTALS[0]))
    assert not made["failed"], made.get("msg")
    info = made["connection_info"]
    data = info["data"]
    env = compute_inventory[1]
    link = "/dev/disk/by-path/ip-%s-iscsi-%s-lun-1" % (data["target_portal"], data["target_iqn"])
    disks_before = compute_node.scsi_disks()
    try:
        first = run_module("volume_connection", dict(connection_info=info), host="compute1", env=env, timeout=1800)
        assert not first["failed"], first.get("msg")
        # os-brick's connect_volume gives /dev/sdX; Nova's stable name is the by-path link.
        assert first["changed"] and first["device_path"] == link
        assert first["connection_info"]["data"]["device_path"] == link
        assert data["target_iqn"] in compute_node.sessions()
        again = run_module("volume_connection", dict(connection_info=info), host="compute1", env=env, timeout=1800)
        assert again["changed"] is False and again["device_path"] == link
        # The BDM's copy has no CHAP secret: a disconnect needs none.
        stored = dict(info, data=dict((k, v) for k, v in data.items() if k != "auth_password"))
        out = run_module("volume_connection", dict(connection_info=stored, state="disconnected"),
                         host="compute1", env=env, timeout=1800)
        assert not out["failed"], out.get("msg")
        assert out["changed"] and "device_path" not in out["connection_info"]["data"]
        assert data["target_iqn"] not in compute_node.sessions()
        assert data["target_iqn"] not in compute_node.nodes()
        assert compute_node.scsi_disks() == disks_before
    finally:
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def test_qemu_iscsi_needs_nothing_on_the_host_and_masks_the_secret(export):
    result = run_module("volume_connection", dict(connection_info=export, iscsi_initiator="qemu"))
    assert result["changed"] is False and result["host_connection"] is False
    assert "QEMU's own iSCSI initiator" in result["msg"]
    assert result["connection_info"]["data"]["target_iqn"] == export["data"]["target_iqn"]
    assert export["data"]["auth_password"] not in repr(result)


def test_disconnect_of_a_volume_not_connected_is_unchanged(export):
    result = run_module("volume_connection", dict(connection_info=export, state="disconnected"))
    assert not result["failed"], result.get("msg")
    assert result["changed"] is False and "device_path" not in result["connection_info"]["data"]


def test_unknown_driver_volume_type_fails_with_nova_wording():
    result = run_module("volume_connection", dict(connection_info={"driver_volume_type": "fibre_channel",
                                                                   "data": {}}))
    assert result["failed"] and result["msg"] == "Could not find a handler for fibre_channel volume."
