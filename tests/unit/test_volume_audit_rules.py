"""The audit's comparison of records with the compute and storage hosts (pure)."""
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_audit as va

V1 = "11111111-1111-4111-8111-111111111111"
V2 = "22222222-2222-4222-8222-222222222222"
I1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
IQN = "iqn.2010-10.org.openstack:volume-"
CI = {"driver_volume_type": "iscsi",
      "data": {"target_iqn": IQN + V1, "target_lun": 1, "target_portal": "127.0.0.1:3260",
               "auth_method": "CHAP", "auth_username": "u"}}


def records(status="in-use", att="attached", bdm=True, volumes=(V1,)):
    vols = [{"id": v, "status": "available", "attach_status": "detached"} for v in volumes]
    vols[0]["status"] = status
    return {"volumes": vols,
            "attachments": [{"id": "a1", "volume_id": V1, "instance_uuid": I1,
                             "attach_status": att}] if att else [],
            "bdms": [{"id": 7, "instance_uuid": I1, "volume_id": V1, "device_name": "/dev/sdb",
                      "disk_bus": "scsi", "connection_info": CI}] if bdm else []}


def compute(disks=({"dev": "sdb", "serial": V1, "live": True, "config": True},), running=True,
            domain=True, secrets=()):
    return {"domains": {I1: {"running": running, "disks": list(disks)}} if domain else {},
            "secrets": list(secrets)}


def storage(target=True, files=True, backing=True):
    return {"targets": [{"iqn": IQN + V1, "volume_id": V1, "backing_store": "/b/v",
                         "backing_exists": backing}] if target else [],
            "target_files": [V1] if files else []}


def kinds(findings):
    return [f["kind"] for f in findings]


def test_consistent_records_have_no_finding():
    assert va.audit(records(), compute(), storage()) == []
    assert va.summary([]) == dict((k, 0) for k in va.KINDS)


def test_disk_removed_by_hand_is_bdm_without_disk_and_reattached():
    found = va.audit(records(), compute(disks=()), storage())
    assert kinds(found) == ["bdm_without_disk"]
    assert found[0]["actions"][0]["op"] == "reattach"
    assert found[0]["actions"][0]["connection_info"] == CI
    assert found[0]["actions"][0]["chap"] is True and found[0]["actions"][0]["disk_bus"] == "scsi"
    # a row whose disk_bus was overwritten with virtio: the device name's bus wins
    rec = records()
    rec["bdms"][0]["disk_bus"] = "virtio"
    assert va.audit(rec, compute(disks=()), storage())[0]["actions"][0]["disk_bus"] == "scsi"
    # the CHAP secret the re-attach needs is not dropped meanwhile
    secret = {"uuid": "s1", "usage_type": "iscsi", "usage_id": IQN + V1 + "/1", "used": False}
    assert kinds(va.audit(records(), compute(disks=(), secrets=[secret]), storage())) == [
        "bdm_without_disk"]


def test_undefined_domain_is_local_delete_then_export_removed():
    found = va.audit(records(), compute(domain=False), storage())
    assert kinds(found) == ["export_without_attachment", "bdm_without_disk"]
    ops = [a["op"] for a in va.actions_for(found, "records")]
    assert ops == ["delete_attachment", "destroy_bdm"]
    assert [a["op"] for a in va.actions_for(found, "storage")] == ["remove_export"]


def test_disk_without_bdm_is_detached():
    found = va.audit(records(att=None, bdm=False, status="available"), compute(),
                     storage(target=False, files=False))
    assert kinds(found) == ["disk_without_bdm"]
    assert va.actions_for(found, "compute") == [{"part": "compute", "op": "detach",
                                                 "instance_uuid": I1, "volume_id": V1}]


def test_target_deleted_in_tgtd_is_made_again_from_its_file():
    found = va.audit(records(), compute(), storage(target=False))
    assert kinds(found) == ["attachment_without_export"]
    assert va.actions_for(found, "storage")[0]["op"] == "ensure_export"
    # without its file there is nothing safe to do: reported only
    found = va.audit(records(), compute(), storage(target=False, files=False))
    assert found[0]["actions"] == [] and found[0]["repair"] is None


def test_in_use_without_attachment_recomputes_status_as_cinder():
    found = va.audit(records(att=None, bdm=False), compute(disks=()), storage(target=False,
                                                                              files=False))
    assert kinds(found) == ["volume_in_use_without_attachment"]
    assert "(available)" in found[0]["repair"]


def test_stuck_attachments_follow_the_disk():
    # detaching with the disk still there: Cinder roll_detaching
    found = va.audit(records(att="detaching"), compute(), storage())
    assert kinds(found) == ["attachment_stuck"]
    assert found[0]["actions"] == [{"part": "records", "op": "set_attachment",
                                    "attachment_id": "a1", "volume_id": V1,
                                    "attach_status": "attached"}]
    # detaching, disk gone: finish it, and the export goes with the last attachment
    found = va.audit(records(att="detaching"), compute(disks=()), storage())
    assert kinds(found) == ["export_without_attachment", "attachment_stuck"]
    # attaching, the playbook killed before the BDM was saved: roll back (disk detached)
    rec = records(att="attaching", status="attaching")
    rec["bdms"][0]["connection_info"] = None
    found = va.audit(rec, compute(), storage())
    ops = [a["op"] for a in found[-1]["actions"]]
    assert ops == ["detach", "delete_attachment", "destroy_bdm"]
    # attaching but everything else done: complete it
    found = va.audit(records(att="attaching", status="attaching"), compute(), storage())
    assert found[0]["actions"][0]["attach_status"] == "attached"


def test_unused_secret_and_missing_backing_store():
    secret = {"uuid": "s1", "usage_type": "iscsi", "usage_id": IQN + V1 + "/1", "used": False}
    found = va.audit(records(), compute(secrets=[secret]), storage(backing=False))
    assert kinds(found) == ["secret_without_disk", "backing_store_missing"]
    assert found[1]["actions"] == [] and found[1]["repair"] is None
    other = dict(secret, usage_id="iqn.2000-01.com.example:other/1")
    assert va.audit(records(), compute(secrets=[other]), storage()) == []


def test_shelved_reservation_is_not_drift():
    rec = records(att="reserved", status="reserved")
    rec["bdms"][0]["connection_info"] = None
    assert va.audit(rec, compute(domain=False), storage(target=False, files=False)) == []


def test_repair_order_is_novas():
    found = va.audit(records(att="attaching", status="attaching"), compute(domain=False,
                                                                           disks=()), storage())
    parts = [(a["part"], a["op"]) for part in ("compute", "storage", "records")
             for a in va.actions_for(found, part)]
    assert parts == [("storage", "remove_export"), ("records", "delete_attachment"),
                     ("records", "destroy_bdm")]


def test_a_reservation_beside_a_domain_is_a_killed_attach():
    """Cinder's attachment_create leaves ``reserved`` until attachment_complete: with the
    instance's domain there, the attach was killed between its steps. Disk plugged, BDM not
    saved: rolled back (disk detached, attachment deleted, BDM destroyed, export removed)."""
    rec = records(att="reserved", status="reserved")
    rec["bdms"][0]["connection_info"] = None
    found = va.audit(rec, compute(), storage())
    assert kinds(found) == ["export_without_attachment", "attachment_stuck"]
    assert [a["op"] for a in found[1]["actions"]] == ["detach", "delete_attachment", "destroy_bdm"]
    assert "is reserved" in found[1]["detail"]
    # no disk yet (killed before the attach step): the same roll-back, nothing to detach
    found = va.audit(rec, compute(disks=()), storage())
    assert [a["op"] for a in found[1]["actions"]] == ["delete_attachment", "destroy_bdm"]
    # killed after the BDM was saved: completed
    found = va.audit(records(att="reserved", status="reserved"), compute(), storage())
    assert kinds(found) == ["attachment_stuck"]
    assert found[0]["actions"][0]["attach_status"] == "attached"


HOST = dict(CI, data=dict(CI["data"], auth_method=None, device_path="/dev/disk/by-path/x"))
SESSION = {"sid": 1, "target_iqn": IQN + V1, "target_portal": "127.0.0.1:3260"}


def test_sessions_are_not_compared_where_the_host_has_no_kernel_initiator():
    assert va.audit(records(), dict(compute(), sessions=None), storage()) == []


def test_a_session_no_attachment_uses_is_logged_out():
    """Nova's _disconnect_volume (os-brick disconnect_volume), after the disk is gone."""
    found = va.audit(records(), dict(compute(), sessions=[SESSION]), storage())
    assert kinds(found) == ["session_without_attachment"]
    assert found[0]["actions"] == [{"part": "compute", "op": "disconnect", "volume_id": V1,
                                    "target_iqn": IQN + V1, "target_portal": "127.0.0.1:3260",
                                    "target_lun": 1}]
    # a host-path BDM of an instance on this host uses it: no finding
    rec = records()
    rec["bdms"][0]["connection_info"] = HOST
    assert va.audit(rec, dict(compute(), sessions=[SESSION]), storage()) == []
    # the same BDM destroyed by a rollback in this audit: the session goes after the disk
    rec = records(att="attaching", status="attaching")
    rec["bdms"][0]["connection_info"] = None
    found = va.audit(rec, dict(compute(), sessions=[SESSION]), storage())
    ops = [(a["part"], a["op"]) for part in ("compute", "storage", "records")
           for a in va.actions_for(found, part)]
    assert ops[:2] == [("compute", "detach"), ("compute", "disconnect")]


def test_a_host_attachment_without_its_session_is_reported():
    rec = records()
    rec["bdms"][0]["connection_info"] = HOST
    found = va.audit(rec, dict(compute(), sessions=[]), storage())
    assert kinds(found) == ["attachment_without_session"]
    assert found[0]["repair"] is None and found[0]["instance_uuid"] == I1
    # an instance with no domain on this compute host is another host's business
    assert "attachment_without_session" not in kinds(
        va.audit(rec, dict(compute(domain=False), sessions=[]), storage()))


def test_sessions_read_from_sysfs(tmp_path):
    """The kernel's iscsi_session / iscsi_connection classes (what iscsiadm -m session prints)."""
    from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import iscsi_sessions
    assert iscsi_sessions.sessions(str(tmp_path)) is None
    session = tmp_path / "class" / "iscsi_session" / "session3"
    conn = tmp_path / "class" / "iscsi_connection" / "connection3:0"
    session.mkdir(parents=True)
    conn.mkdir(parents=True)
    (session / "targetname").write_text(IQN + V1 + "\n")
    (conn / "persistent_address").write_text("fd00::2\n")
    (conn / "persistent_port").write_text("3260\n")
    assert iscsi_sessions.sessions(str(tmp_path)) == [
        {"sid": 3, "target_iqn": IQN + V1, "target_portal": "[fd00::2]:3260"}]


def test_an_rbd_volume_whose_image_is_gone():
    """Cinder's RBD driver: the image volume-<id> in the pool; data.name is pool/image."""
    rec = records()
    rec["bdms"][0]["connection_info"] = {"driver_volume_type": "rbd",
                                         "data": {"name": "volumes/volume-" + V1}}
    none = storage(target=False, files=False)
    assert va.audit(rec, compute(), none, {"pool": "volumes", "images": ["volume-" + V1]}) == []
    found = va.audit(rec, compute(), none, {"pool": "volumes", "images": []})
    assert kinds(found) == ["backing_store_missing"]
    assert found[0]["detail"] == "RBD image volumes/volume-%s does not exist" % V1
    assert va.audit(rec, compute(), none, {"pool": "other", "images": []}) == []
    assert va.audit(rec, compute(), none) == []
