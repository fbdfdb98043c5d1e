"""The batch rules (rules/volume_batch.py, pure): which volumes each step of an attach or
detach batch takes, and what a failed volume's rollback undoes."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_batch as vb

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C = "cccccccc-0000-4000-8000-000000000003"


def info(vid, device_path=None):
    data = {"volume_id": vid, "target_iqn": "iqn.x:volume-" + vid}
    if device_path:
        data["device_path"] = device_path
    return {"driver_volume_type": "iscsi", "data": data}


def step(*results):
    return {"changed": any(r.get("changed") for r in results), "volumes": list(results)}


def ok(vid, changed=True, **extra):
    return dict(volume_id=vid, changed=changed, failed=False, **extra)


def bad(vid, msg):
    return dict(volume_id=vid, changed=False, failed=True, msg=msg)


def test_the_request_is_checked_before_anything_runs():
    assert vb.requested([A.upper(), {"volume_id": B, "device_name": ""}]) == [
        {"volume_id": A}, {"volume_id": B}]
    for volumes, words in (([], "non-empty"), ([A, A], "twice"), ([{"device_name": "/dev/vdb"}], "no volume_id"),
                           ([{"volume_id": A, "size": 1}], "unknown key")):
        with pytest.raises(InvalidInput, match=words):
            vb.requested(volumes)


def test_a_volume_goes_on_only_while_its_steps_succeed():
    request = vb.requested([A, {"volume_id": B, "attach_mode": "ro"}, C])
    steps = {"bdm": step(ok(A, device_name="/dev/vda", volume={"multiattach": True}), ok(B, device_name="/dev/vdb"),
                         bad(C, "Invalid volume: volume is already attached"))}
    assert vb.step_items(request, "export", steps) == [
        {"volume_id": A, "multiattach": True}, {"volume_id": B, "access_mode": "ro"}]
    steps["export"] = step(ok(A, connection_info=info(A)), bad(B, "backing store does not exist"))
    # the connect step did not run (QEMU's initiator): the disk takes the export's connection_info
    assert vb.step_items(request, "disk", steps) == [
        {"volume_id": A, "connection_info": info(A), "device": "/dev/vda"}]
    assert vb.failures(request, steps) == [
        {"volume_id": B, "step": "export", "msg": "backing store does not exist"},
        {"volume_id": C, "step": "bdm", "msg": "Invalid volume: volume is already attached"}]
    # B's reservation (changed in this run) is undone; C changed nothing; A is kept
    undo = dict((name, vb.undo_items(request, steps, name, False)) for name in dict(vb.UNDO))
    assert undo == {"disk": [], "secret": [], "connection": [], "export": [], "bdm": [{"volume_id": B}]}
    # a step failing as a whole undoes every volume's changed steps
    assert vb.undo_items(request, steps, "export", True) == [{"volume_id": A}]
    assert vb.undo_items(request, steps, "bdm", True) == [{"volume_id": A}, {"volume_id": B}]


def test_a_rerun_takes_no_step_for_a_finished_attach():
    request = vb.requested([A])
    steps = {"bdm": step(ok(A, changed=False, attach_complete=True, device_name="/dev/vda"))}
    assert vb.step_items(request, "export", steps) == []
    assert vb.summary(request, steps) == [{"volume_id": A, "device_name": "/dev/vda", "status": "already attached"}]


def test_a_host_connection_is_what_the_disk_and_the_save_get():
    request = vb.requested([A])
    steps = {"bdm": step(ok(A, device_name="/dev/vda")), "export": step(ok(A, connection_info=info(A))),
             "connection": step(ok(A, connection_info=info(A, "/dev/sdx")))}
    assert vb.step_items(request, "in_use", steps)[0]["connection_info"]["data"]["device_path"] == "/dev/sdx"
    steps["disk"] = step(ok(A))
    steps["in_use"] = step(bad(A, "store refused"))
    undo = dict((name, vb.undo_items(request, steps, name, False)) for name in dict(vb.UNDO))
    assert [name for name in ("disk", "secret", "connection", "export", "bdm") if undo[name]] == [
        "disk", "secret", "connection", "export", "bdm"]
    assert undo["connection"][0]["connection_info"]["data"]["device_path"] == "/dev/sdx"


def test_detach_steps_take_what_each_volume_needs_and_a_failed_one_goes_back_to_in_use():
    request = vb.requested([A, B, C], keys=("volume_id",))
    records = step(
        ok(A, changed=False, bdm={"connection_info": info(A, "/dev/sdx")}, remove_export=True,
           attachment={"attach_status": "attached"}),
        ok(B, changed=False, bdm={"connection_info": info(B)}, remove_export=False,
           attachment={"attach_status": "attached"}),
        ok(C, changed=False, bdm=None, remove_export=True, attachment=None))
    steps = {"records": records}
    assert vb.detach_items(request, "detaching", steps) == [{"volume_id": A}, {"volume_id": B}]
    assert vb.detach_items(request, "connection", steps) == [{"volume_id": A, "connection_info": info(A, "/dev/sdx")}]
    assert vb.detach_items(request, "export", steps) == [{"volume_id": A}, {"volume_id": C}]
    assert vb.detach_items(request, "export", steps, backend="rbd") == []
    # another instance on this host still uses A's host connection (multiattach): kept
    records["volumes"][0]["disconnect"] = False
    assert vb.detach_items(request, "connection", steps) == []
    records["volumes"][0]["disconnect"] = True
    steps["detaching"] = step(ok(A), ok(B))
    steps["disk"] = step(bad(A, "the guest did not release the disk"), ok(B), ok(C, changed=False))
    assert vb.detach_items(request, "export", steps) == [{"volume_id": C}]
    assert vb.detach_items(request, "destroy", steps) == [{"volume_id": B}, {"volume_id": C}]
    assert vb.roll_detaching(request, steps, False) == [{"volume_id": A}]
    assert vb.detach_failures(request, steps) == [
        {"volume_id": A, "step": "disk", "msg": "the guest did not release the disk"}]
