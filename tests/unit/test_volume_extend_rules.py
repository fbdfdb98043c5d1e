"""Cinder's extend states and Nova's compute-side extend steps (pure rules)."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states as vs
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_extend as ve
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidVolume, VirtblockError)

VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
I1 = "55888641-5569-4d50-a6c3-eeb8f6d51c34"
GiB = 1 << 30


def vol(status="available", size=1):
    return {"id": VOL, "status": status, "size": size}


ATTACHED = [{"id": "a1", "instance_uuid": I1, "attach_status": "attached", "attach_mode": "rw"}]


@pytest.mark.parametrize("status", ["available", "in-use", "error_extending"])
def test_extending_marks_the_volume(status):
    assert vs.plan_extend(vol(status), [], "extending", 2) == (True, {"status": "extending"})


def test_shrink_and_same_size_use_cinders_wording_and_a_rerun_is_no_change():
    with pytest.raises(InvalidInput) as err:
        vs.plan_extend(vol("in-use", 3), ATTACHED, "extending", 2)
    assert "New size for extend must be greater than current size. (current: 3, extended: 2)." in err.value.msg
    assert vs.plan_extend(vol("in-use", 2), ATTACHED, "extending", 2) == (False, {})
    assert vs.plan_extend(vol("in-use", 2), ATTACHED, "extended", 2) == (False, {})


@pytest.mark.parametrize("status", ["reserved", "attaching", "detaching", "maintenance", "error"])
def test_other_statuses_cannot_extend(status):
    with pytest.raises(InvalidVolume) as err:
        vs.plan_extend(vol(status), [], "extending", 2)
    assert "status must be" in err.value.msg and status in err.value.msg


def test_extended_sets_the_size_and_the_status_from_the_attachments():
    assert vs.plan_extend(vol("extending"), ATTACHED, "extended", 2) == (True, {"size": 2, "status": "in-use"})
    assert vs.plan_extend(vol("extending"), [], "extended", 2) == (True, {"size": 2, "status": "available"})
    assert vs.plan_extend(vol("extending"), [], "extending", 2) == (False, {})
    with pytest.raises(InvalidVolume):
        vs.plan_extend(vol("available"), [], "extended", 2)     # never marked extending


def test_error_extending_only_from_extending():
    assert vs.plan_extend(vol("extending"), [], "error_extending", 2) == (True, {"status": "error_extending"})
    assert vs.plan_extend(vol("error_extending"), [], "error_extending", 2)[0] is False
    with pytest.raises(InvalidVolume):
        vs.plan_extend(vol("in-use"), ATTACHED, "error_extending", 2)


def test_compute_steps_per_path():
    # QEMU's own iSCSI initiator and RBD: QEMU re-reads the size, nothing on the host
    assert ve.plan("network", 2 * GiB, True, GiB) == [ve.BLOCK_RESIZE]
    assert ve.plan("network", 2 * GiB, True, 2 * GiB) == []
    assert ve.plan("network", 2 * GiB, False, None) == []      # not running: QEMU reads it at start
    # the host path rescans first (os-brick extend_volume)
    assert ve.plan("iscsi_host", 2 * GiB, True, GiB, GiB) == [ve.RESCAN, ve.BLOCK_RESIZE]
    assert ve.plan("iscsi_host", 2 * GiB, True, GiB, 2 * GiB) == [ve.BLOCK_RESIZE]
    assert ve.plan("iscsi_host", 2 * GiB, False, None, GiB) == [ve.RESCAN]
    with pytest.raises(VirtblockError):
        ve.plan("iscsi_host", 2 * GiB, True, GiB, None)
    # a local file smaller than asked: QEMU would grow it itself
    with pytest.raises(InvalidInput):
        ve.plan("local", 2 * GiB, True, GiB, GiB)
    assert ve.plan("local", 2 * GiB, True, GiB, 2 * GiB) == [ve.BLOCK_RESIZE]


def test_requested_bytes_and_rescan_check():
    assert ve.requested_bytes(new_size=2) == 2 * GiB
    assert ve.requested_bytes(new_size_mib=3) == 3 << 20
    for bad in (dict(), dict(new_size=1, new_size_mib=1), dict(new_size=0)):
        with pytest.raises(InvalidInput):
            ve.requested_bytes(**bad)
    assert ve.check_rescanned(2 * GiB, 2 * GiB) == 2 * GiB
    with pytest.raises(VirtblockError):
        ve.check_rescanned(GiB, 2 * GiB)
