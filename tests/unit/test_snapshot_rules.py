"""Cinder's snapshot rules (pure): create needs an available volume or force for in-use,
states, delete, and a volume with snapshots is not deleted."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import snapshots as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, InvalidSnapshot, InvalidVolume)

VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
SNAP = "1c0f8a4e-2d2e-4f7d-9d45-0a5f2b8f3c11"


def vol(status="available"):
    return {"id": VOL, "status": status, "size": 2}


def test_in_use_needs_force_with_cinders_wording():
    with pytest.raises(InvalidVolume) as err:
        rules.plan_create(vol("in-use"), None, False, SNAP)
    assert err.value.msg == ("Invalid volume: Volume %s status must be available, but current status is: in-use." % VOL)
    action, values = rules.plan_create(vol("in-use"), None, True, SNAP)
    assert action == "create" and values == dict(id=SNAP, volume_id=VOL, status="creating", progress="0%", volume_size=2)


@pytest.mark.parametrize("status", ["attaching", "extending", "error", "maintenance"])
def test_other_statuses_refused_even_with_force(status):
    with pytest.raises(InvalidVolume):
        rules.plan_create(vol(status), None, True, SNAP)


def test_an_available_snapshot_is_no_change_and_a_broken_one_is_retried():
    row = {"id": SNAP, "volume_id": VOL, "status": "available"}
    assert rules.plan_create(vol("in-use"), row, False, SNAP) == (None, {})   # no force needed to find it
    assert rules.plan_create(vol(), dict(row, status="error"), False, SNAP)[0] == "retry"
    with pytest.raises(InvalidSnapshot):
        rules.plan_create(vol(), dict(row, status="deleting"), False, SNAP)
    with pytest.raises(InvalidInput):
        rules.plan_create(vol(), dict(row, volume_id="other"), False, SNAP)


def test_delete_states():
    for status in ("available", "error", "error_deleting"):
        rules.check_delete({"status": status})
    with pytest.raises(InvalidSnapshot) as err:
        rules.check_delete({"status": "creating"})
    assert "Snapshot status must be available or error" in err.value.msg


def test_a_volume_with_snapshots_is_not_deleted():
    volume_states.check_delete(vol(), [], [])
    with pytest.raises(InvalidVolume) as err:
        volume_states.check_delete(vol(), [], [{"id": SNAP}])
    assert "have snapshots" in err.value.msg
