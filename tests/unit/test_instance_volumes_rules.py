"""The declarative role's plan (rules/instance_volumes.py, pure)."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.instance_volumes import plan

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C = "cccccccc-0000-4000-8000-000000000003"
R = "dddddddd-0000-4000-8000-000000000004"


def row(volume_id, dev, info="iscsi", boot_index=None, destination_type="volume"):
    info = {"driver_volume_type": info, "data": {}} if info else None
    return {"volume_id": volume_id, "device_name": "/dev/" + dev, "connection_info": info,
            "boot_index": boot_index, "destination_type": destination_type}


def domain(*serials, exists=True):
    return {"exists": exists, "disks": [{"dev": "x", "serial": s} for s in serials]}


def test_attach_missing_detach_extra_keep_the_rest():
    got = plan([A, {"volume_id": C, "disk_bus": "scsi"}], [row(A, "vdb"), row(B, "vdc")],
               domain(A, B))
    assert got["attach"] == [{"volume_id": C, "disk_bus": "scsi"}]
    assert got["detach"] == [B] and got["keep"] == [A] and got["changes"] == 2


def test_converged_is_no_change():
    got = plan([{"volume_id": A.upper()}], [row(A, "vdb")], domain(A))
    assert got["changes"] == 0 and got["keep"] == [A] and got["attach"] == got["detach"] == []


def test_a_disk_removed_behind_the_records_is_attached_again():
    """The BDM is there, the disk is not: the attach role's rerun puts it back."""
    assert plan([A], [row(A, "vdb")], domain())["attach"] == [{"volume_id": A}]


def test_an_unfinished_attach_is_attached_again_but_a_shelved_reservation_is_kept():
    rows = [row(A, "vdb", info=None)]
    assert plan([A], rows, domain(A))["attach"] == [{"volume_id": A}]
    shelved = plan([A], rows, domain(exists=False))
    assert shelved["attach"] == [] and shelved["keep"] == [A]


def test_the_root_volume_is_never_detached():
    """Nova's API: "Cannot detach a root device volume" (VolumeAttachmentController.delete)."""
    got = plan([], [row(R, "vda", boot_index=0), row(B, "vdb")], domain(R, B))
    assert got["detach"] == [B] and got["root_kept"] == [R]


def test_only_volume_bdms_count():
    """Local disks (image, ephemeral, swap) are no volumes to detach."""
    got = plan([], [row(None, "vda", info=None, destination_type="local")], domain())
    assert got["changes"] == 0


def test_detach_in_device_order():
    got = plan([], [row(C, "vdd"), row(A, "vdb"), row(B, "vdc")], domain(A, B, C))
    assert got["detach"] == [A, B, C]


def test_another_device_or_bus_is_reported_not_moved():
    got = plan([{"volume_id": A, "device_name": "/dev/vdc", "disk_bus": "scsi"}],
               [row(A, "vdb")], domain(A))
    assert got["changes"] == 0 and got["keep"] == [A]
    assert got["differs"] == [{"volume_id": A, "differs": {
        "device_name": {"wanted": "vdc", "have": "vdb"},
        "disk_bus": {"wanted": "scsi", "have": "virtio"}}}]
    # sata and scsi share the sd prefix: the name cannot tell them apart, so no difference
    same = plan([{"volume_id": A, "disk_bus": "sata"}], [row(A, "sdb")], domain(A))
    assert same["differs"] == []


@pytest.mark.parametrize("wanted, message", [
    ([{"device_name": "vdb"}], "needs a volume_id"),
    ([A, A.upper()], "listed twice"),
    ([{"volume_id": A, "size": 1}], "unknown keys"),
    ("x", "must be a list"),
])
def test_a_wrong_list_is_refused(wanted, message):
    with pytest.raises(InvalidInput) as err:
        plan(wanted, [], domain())
    assert message in err.value.msg
