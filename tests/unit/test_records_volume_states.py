"""Cinder's volume/attachment state rules."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_states as vs
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidVolume, InvalidVolumeAttachMode, InvalidInput, VolumeAttached)

VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
I1 = "55888641-5569-4d50-a6c3-eeb8f6d51c34"
I2 = "6edad723-c62d-40d4-a29e-d9ac6a3247ee"


def vol(status="available", multiattach=False, readonly=False):
    return {"id": VOL, "status": status, "multiattach": multiattach, "readonly": readonly}


def att(instance, state, mode="rw", aid="a1"):
    return {"id": aid, "instance_uuid": instance, "attach_status": state, "attach_mode": mode}


def test_volume_status_follows_attachments():
    assert vs.volume_status([]) == ("available", "detached")
    assert vs.volume_status([att(I1, "reserved")]) == ("reserved", "reserved")
    assert vs.volume_status([att(I1, "attaching")])[0] == "attaching"
    assert vs.volume_status([att(I1, "attached")]) == ("in-use", "attached")
    assert vs.volume_status([att(I1, "detaching")])[0] == "detaching"
    assert vs.volume_status([att(I1, "attached"), att(I2, "error_attaching")])[0] == "in-use"


def test_volume_status_as_cinder_get_statuses_from_attachments():
    """cinder/db/api.py:_get_statuses_from_attachments: error_* ignored, then the
    alphabetically first of attached > attaching > detaching > reserved; attached is in-use."""
    assert vs.volume_status([att(I1, "attached"), att(I2, "reserved")]) == ("in-use", "attached")
    assert vs.volume_status([att(I1, "reserved"), att(I2, "attaching")]) == \
        ("attaching", "attaching")
    assert vs.volume_status([att(I1, "attached"), att(I2, "detaching")]) == ("in-use", "attached")
    assert vs.volume_status([att(I1, "detaching"), att(I2, "reserved")])[0] == "detaching"
    # only error_attaching: os-brick never connected it, the volume is available
    assert vs.volume_status([att(I1, "error_attaching")]) == ("available", "detached")


def test_available_to_reserved_to_attaching_to_in_use():
    changed, action, fields = vs.plan(vol(), [], I1, "reserved")
    assert (changed, action, fields["attach_status"]) == (True, "create", "reserved")
    changed, action, fields = vs.plan(vol("reserved"), [att(I1, "reserved")], I1, "attaching")
    assert (changed, action, fields["attach_status"]) == (True, "update", "attaching")
    changed, action, fields = vs.plan(vol("attaching"), [att(I1, "attaching")], I1, "attached")
    assert (changed, action, fields["attach_status"]) == (True, "update", "attached")


def test_same_state_again_is_no_change():
    assert vs.plan(vol("in-use"), [att(I1, "attached")], I1, "attached") == (False, None, {})
    # a state already passed is met too
    assert vs.plan(vol("in-use"), [att(I1, "attached")], I1, "reserved")[0] is False


def test_in_use_without_multiattach_refuses_second_attach():
    with pytest.raises(InvalidVolume) as err:
        vs.plan(vol("in-use"), [att(I1, "attached")], I2, "reserved")
    assert str(err.value) == "Invalid volume: volume is already attached"


def test_reserved_non_multiattach_refuses_other_instance():
    with pytest.raises(InvalidVolume) as err:
        vs.plan(vol("reserved"), [att(I1, "reserved")], I2, "reserved")
    assert "status must be available" in str(err.value)


def test_multiattach_allows_second_instance():
    changed, action, dummy = vs.plan(vol("in-use", multiattach=True), [att(I1, "attached")], I2,
                                     "attaching")
    assert (changed, action) == (True, "create")


def test_readonly_refuses_rw_and_leaves_error_attaching():
    """cinder/volume/manager.py VolumeManager.attach_volume: the mode check runs after
    begin_attach; its except marks the attachment ERROR_ATTACHING, then re-raises."""
    changed, action, fields = vs.plan(vol(readonly=True), [], I1, "attaching", mode="rw",
                                      attachment_id="a9")
    assert (changed, action, fields["attach_status"], fields["id"]) == \
        (True, "create", "error_attaching", "a9")
    assert isinstance(fields["refused"], InvalidVolumeAttachMode)
    assert str(fields["refused"]) == "Invalid attaching mode 'rw' for volume %s." % VOL
    assert vs.plan(vol(readonly=True), [], I1, "attaching", mode="ro")[1] == "create"
    # reserved -> attaching refused the same way: the attachment is marked
    changed, action, fields = vs.plan(vol("reserved", readonly=True), [att(I1, "reserved")], I1,
                                      "attached", mode="rw")
    assert (action, fields["attach_status"]) == ("update", "error_attaching")
    # a retry refused again changes nothing but still fails
    changed, action, fields = vs.plan(vol(readonly=True), [att(I1, "error_attaching")], I1,
                                      "attached", mode="rw")
    assert (changed, action) == (False, None) and "refused" in fields


def test_refused_for_status_records_nothing():
    """Cinder API._attachment_reserve refuses before any attachment exists."""
    with pytest.raises(InvalidVolume):
        vs.plan(vol("maintenance"), [], I1, "reserved")


def test_different_mode_while_attaching_refused():
    with pytest.raises(InvalidVolume) as err:
        vs.plan(vol("attaching"), [att(I1, "attaching", mode="ro")], I1, "attached", mode="rw")
    assert str(err.value) == "Invalid volume: being attached by different mode"


def test_detaching_then_detached_last_one_makes_available():
    changed, action, fields = vs.plan(vol("in-use"), [att(I1, "attached")], I1, "detaching")
    assert (action, fields["attach_status"]) == ("update", "detaching")
    changed, action, dummy = vs.plan(vol("detaching"), [att(I1, "detaching")], I1, "detached")
    assert action == "delete"
    assert vs.volume_status([]) == ("available", "detached")
    # one of two multiattach attachments going leaves the volume in-use
    assert vs.volume_status([att(I2, "attached")])[0] == "in-use"


def test_detaching_needs_attached():
    with pytest.raises(InvalidVolume) as err:
        vs.plan(vol("attaching"), [att(I1, "attaching")], I1, "detaching")
    assert "Volume status must be 'in-use'" in str(err.value)


def test_begin_detaching_refuses_maintenance():
    """cinder/volume/api.py API.begin_detaching: conditional update expects status in-use."""
    with pytest.raises(InvalidVolume) as err:
        vs.plan(vol("maintenance"), [att(I1, "attached")], I1, "detaching")
    assert "Volume status must be 'in-use'" in str(err.value)


def test_roll_detaching_back_to_in_use():
    assert vs.plan(vol("detaching"), [att(I1, "detaching")], I1, "attached")[1:] == \
        ("update", {"attach_status": "attached"})


def test_error_attaching_and_retry():
    assert vs.plan(vol("attaching"), [att(I1, "attaching")], I1, "error_attaching")[2] == \
        {"attach_status": "error_attaching"}
    changed, action, fields = vs.plan(vol("error_attaching"), [att(I1, "error_attaching")], I1,
                                      "attaching")
    assert (action, fields["attach_status"]) == ("update", "attaching")
    with pytest.raises(InvalidVolume):
        vs.plan(vol("in-use"), [att(I1, "attached")], I1, "error_attaching")


def test_detached_without_attachment_is_no_change_and_bad_states():
    assert vs.plan(vol(), [], I1, "detached") == (False, None, {})
    with pytest.raises(InvalidInput):
        vs.plan(vol(), [], I1, "plugged")
    with pytest.raises(InvalidInput):
        vs.plan(vol(), [], I1, "attached", mode="wo")


def test_delete_rules():
    """cinder/volume/manager.py delete_volume: attached is VolumeAttached; API.delete:
    status must be deletable; error_attaching attachments do not hold the volume."""
    vs.check_delete(vol(), [])
    with pytest.raises(VolumeAttached) as err:
        vs.check_delete(vol("in-use"), [att(I1, "attached")])
    assert str(err.value) == "Volume %s is still attached, detach volume first." % VOL
    with pytest.raises(InvalidVolume):
        vs.check_delete(vol("reserved"), [att(I1, "reserved")])
    with pytest.raises(InvalidVolume):
        vs.check_delete(vol("maintenance"), [])
    vs.check_delete(vol(), [att(I1, "error_attaching")])
