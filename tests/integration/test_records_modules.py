"""bdm_record, bdm_info, volume_state and the block_device_mapping_v2 filter through ansible."""
import sqlite3

import pytest

from support.ansible_run import run_module, run_playbook

INSTANCE = "55888641-5569-4d50-a6c3-eeb8f6d51c34"
OTHER = "6edad723-c62d-40d4-a29e-d9ac6a3247ee"
VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
VOL2 = "9a53945a-b745-493e-8710-0f2c92e1fb5f"
CHAP = "YZ2Hceyh7VySh5HY"
KEY = "AQBjifhjdv+0ORAAFWZTU30onDsqcmEJoNz+Tg=="
CONNECTION_INFO = {"driver_volume_type": "iscsi", "data": {
    "auth_method": "CHAP", "auth_username": "nE9PY8juynmmZ95F7Xb7", "auth_password": CHAP,
    "target_iqn": "iqn.2010-10.org.openstack:volume-" + VOL, "target_portal": "127.0.0.2:3260",
    "target_lun": 1, "volume_id": VOL, "access_mode": "rw"}}


def failed(res):
    """The task failed, or the run did (run_module sets "failed" from both already)."""
    return bool(res.get("failed")) or res["_rc"] != 0


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        return {"db_path": str(tmp_path / "records.sqlite")}
    if request.param == "mysql":
        # The URL without the password, the password in db_password (as AWX injects it).
        server = request.getfixturevalue("mysql")
        return {"db_url": server.url(server.create_database()), "db_password": server.password}
    return {"db_url": request.getfixturevalue("pg_url")}


def test_bdm_record_flow(db):
    args = dict(db, instance_uuid=INSTANCE, volume_id=VOL, state="reserved",
                in_use_device_names=["vda"])
    # check mode predicts and writes nothing
    res = run_module("bdm_record", args, check=True)
    assert res["changed"] is True and res["device_name"] == "/dev/vdb"
    info = run_module("bdm_info", dict(db, instance_uuid=INSTANCE))
    assert info["volumeAttachments"] == [] and info["block_device_mappings"] == []

    res = run_module("bdm_record", args, diff=True)
    assert res["changed"] is True and res["device_name"] == "/dev/vdb", res
    # the diff is printed, as an operator sees it
    assert "-{}" in res["_stdout"] and '+    "device_name": "/dev/vdb"' in res["_stdout"]
    again = run_module("bdm_record", args)
    assert again["changed"] is False and again["device_name"] == "/dev/vdb"
    assert run_module("bdm_record", args, check=True)["changed"] is False

    present = dict(db, instance_uuid=INSTANCE, volume_id=VOL, state="present",
                   attachment_id=OTHER, connection_info=CONNECTION_INFO, tag="data")
    res = run_module("bdm_record", present, check=True)
    assert res["changed"] is True
    res = run_module("bdm_record", present, diff=True)
    assert res["changed"] is True
    assert CHAP not in res["_stdout"]
    stored = res["bdm"]["connection_info"]["data"]
    assert "auth_password" not in stored and stored["target_iqn"].endswith(VOL)
    assert run_module("bdm_record", present)["changed"] is False

    # Nova refuses the same volume on the same instance again
    res = run_module("bdm_record", args)
    assert failed(res) and res["msg"] == "Invalid volume: volume %s already attached" % VOL

    info = run_module("bdm_info", dict(db, instance_uuid=INSTANCE, volume_id=VOL))
    assert info["volumeAttachment"] == {
        "id": VOL, "volumeId": VOL, "serverId": INSTANCE, "device": "/dev/vdb", "tag": "data",
        "delete_on_termination": False, "attachment_id": OTHER,
        "bdm_uuid": info["block_device_mappings"][0]["uuid"]}

    absent = dict(db, instance_uuid=INSTANCE, volume_id=VOL, state="absent")
    assert run_module("bdm_record", absent, check=True)["changed"] is True
    assert run_module("bdm_record", absent)["changed"] is True
    assert run_module("bdm_record", absent)["changed"] is False
    info = run_module("bdm_info", dict(db, instance_uuid=INSTANCE, include_deleted=True))
    assert info["volumeAttachments"] == []
    row = info["block_device_mappings"][0]
    assert row["deleted"] == row["id"] and row["deleted_at"]
    res = run_module("bdm_info", dict(db, instance_uuid=INSTANCE, volume_id=VOL))
    assert failed(res) and res["msg"] == "No volume Block Device Mapping with id %s." % VOL


def test_no_secret_in_sqlite_rows(tmp_path):
    path = str(tmp_path / "records.sqlite")
    rbd = {"driver_volume_type": "rbd", "data": {
        "keyring": "[client.cinder]\n\tkey = %s\n" % KEY, "auth_username": "cinder",
        "secret_uuid": "817cf80b-d3c5-47b2-9a70-aa578e539107", "name": "volumes/volume-" + VOL2}}
    for volume, info in ((VOL, CONNECTION_INFO), (VOL2, rbd)):
        res = run_module("bdm_record", dict(db_path=path, instance_uuid=INSTANCE, volume_id=volume,
                                            state="present", connection_info=info))
        assert res["changed"] is True, res
        assert CHAP not in res["_stdout"] and KEY not in res["_stdout"]
    with open(path, "rb") as handle:
        raw = handle.read()
    assert CHAP.encode() not in raw and KEY.encode() not in raw
    conn = sqlite3.connect(path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert CHAP not in dump and KEY not in dump
    # What is no secret stays (the rbd secret's uuid); the CHAP user is a credential too
    # and is not kept (issue 14), as the rows' virtblock_secrets_removed says.
    assert "817cf80b-d3c5-47b2-9a70-aa578e539107" in dump
    assert "nE9PY8juynmmZ95F7Xb7" not in dump


@pytest.mark.parametrize("args,needle", [
    ({"instance_uuid": "not-a-uuid", "volume_id": VOL}, "instance_uuid 'not-a-uuid' is not a valid UUID"),
    ({"instance_uuid": INSTANCE, "volume_id": "1234"}, "volume_id '1234' is not a valid UUID"),
    ({"instance_uuid": INSTANCE, "volume_id": VOL, "state": "reserved", "device_name": "vdb"},
     "The supplied device path (vdb) is invalid."),
    ({"instance_uuid": INSTANCE, "volume_id": VOL, "state": "reserved", "disk_bus": "nvme"},
     "value of disk_bus must be one of"),
])
def test_bad_input_writes_nothing(tmp_path, args, needle):
    path = tmp_path / "records.sqlite"
    res = run_module("bdm_record", dict(args, db_path=str(path)))
    assert failed(res) and needle in res["msg"], res
    assert "Traceback" not in res["_stdout"]
    if path.exists():
        # the failed transaction was rolled back: at most an empty file, no table, no row
        conn = sqlite3.connect(str(path))
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = conn.execute("SELECT count(*) FROM block_device_mapping").fetchone()[0] \
            if "block_device_mapping" in tables else 0
        conn.close()
        assert rows == 0


def test_device_path_in_use(tmp_path):
    args = dict(db_path=str(tmp_path / "r.sqlite"), instance_uuid=INSTANCE, state="reserved")
    assert run_module("bdm_record", dict(args, volume_id=VOL, device_name="/dev/vdc"))["device_name"] == "/dev/vdc"
    res = run_module("bdm_record", dict(args, volume_id=VOL2, device_name="/dev/vdc"))
    assert failed(res) and res["msg"] == "The supplied device path (/dev/vdc) is in use."


def test_unreachable_db_url_and_not_a_database(tmp_path):
    res = run_module("bdm_info", {"instance_uuid": INSTANCE},
                     env={"VIRTBLOCK_DB_URL": "postgresql+psycopg://nova:pw9x7@127.0.0.1:1/nova",
                          "VIRTBLOCK_DB_PASSWORD": "pw9x7"})
    assert failed(res) and "cannot connect to the record store database" in res["msg"], res
    assert "Traceback" not in res["_stdout"] and "pw9x7" not in res["_stdout"]
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database " * 300)
    res = run_module("bdm_record", dict(db_path=str(junk), instance_uuid=INSTANCE, volume_id=VOL))
    assert failed(res) and "is not a database" in res["msg"], res
    assert junk.read_text().startswith("not a database")


def test_volume_state_flow(db):
    base = dict(db, volume_id=VOL)
    assert run_module("volume_state", dict(base, size=1), check=True)["changed"] is True
    res = run_module("volume_state", dict(base, size=1))
    assert res["changed"] is True and res["volume"]["status"] == "available"
    assert run_module("volume_state", dict(base, size=1))["changed"] is False

    mine = dict(base, instance_uuid=INSTANCE)
    res = run_module("volume_state", dict(mine, state="reserved"), check=True)
    assert res["changed"] is True and res["volume"]["status"] == "reserved"
    assert run_module("volume_state", base)["volume"]["status"] == "available"
    for state, status in (("reserved", "reserved"), ("attaching", "attaching"), ("attached", "in-use")):
        res = run_module("volume_state", dict(mine, state=state, mountpoint="/dev/vdb"), diff=True)
        assert res["changed"] is True and res["volume"]["status"] == status, res
    assert run_module("volume_state", dict(mine, state="attached"))["changed"] is False

    res = run_module("volume_state", dict(base, instance_uuid=OTHER, state="reserved"))
    assert failed(res) and res["msg"] == "Invalid volume: volume is already attached"

    res = run_module("volume_state", dict(mine, state="detaching"))
    assert res["volume"]["status"] == "detaching"
    res = run_module("volume_state", dict(mine, state="detached"))
    assert res["changed"] and res["volume"]["status"] == "available"
    assert res["volume"]["attach_status"] == "detached" and res["attachments"] == []


def test_readonly_and_multiattach(tmp_path):
    db = dict(db_path=str(tmp_path / "r.sqlite"))
    run_module("volume_state", dict(db, volume_id=VOL, readonly=True))
    res = run_module("volume_state", dict(db, volume_id=VOL, instance_uuid=INSTANCE, state="attaching"))
    assert failed(res) and res["msg"] == "Invalid attaching mode 'rw' for volume %s." % VOL
    # Cinder VolumeManager.attach_volume: the refused attach stays as error_attaching, and a
    # volume with only error_attaching attachments is available (_get_statuses_from_attachments)
    res = run_module("volume_state", dict(db, volume_id=VOL))
    assert res["volume"]["status"] == "available"
    assert [a["attach_status"] for a in res["attachments"]] == ["error_attaching"]
    run_module("volume_state", dict(db, volume_id=VOL2, multiattach=True))
    for instance in (INSTANCE, OTHER):
        res = run_module("volume_state", dict(db, volume_id=VOL2, instance_uuid=instance,
                                              state="attached"))
        assert res["changed"] and res["volume"]["status"] == "in-use"
    assert len(res["attachments"]) == 2
    res = run_module("volume_state", dict(db, volume_id=VOL2, instance_uuid=OTHER, state="detached"))
    assert res["volume"]["status"] == "in-use" and len(res["attachments"]) == 1
    res = run_module("volume_state", dict(db, volume_id=VOL2, state="absent"))
    assert failed(res) and res["msg"] == "Volume %s is still attached, detach volume first." % VOL2


def _playbook(tmp_path, expr):
    book = tmp_path / "play.yml"
    book.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n        msg: \"{{ %s | to_json }}\"\n" % expr)
    return run_playbook(str(book), timeout=120)


def test_bdm_v2_filter(tmp_path):
    img = "ac408821-c95a-448f-9292-73986c790911"
    ok = _playbook(tmp_path, "[{'boot_index': 0, 'uuid': '%s', 'source_type': 'image', "
                             "'destination_type': 'volume', 'volume_size': 20}] | "
                             "virtblock.volumes.block_device_mapping_v2" % img)
    assert ok.rc == 0, ok.stdout
    assert '\\"kind\\": \\"image\\"' in ok.stdout or '"kind": "image"' in ok.stdout
    bad = _playbook(tmp_path, "[{'boot_index': 1, 'uuid': '%s', 'source_type': 'volume', "
                              "'destination_type': 'volume'}] | "
                              "virtblock.volumes.block_device_mapping_v2" % img)
    assert bad.rc != 0
    assert "InvalidBDMBootSequence: Block Device Mapping is Invalid: Boot sequence" in bad.stdout
    bad = _playbook(tmp_path, "[{'boot_index': 0, 'uuid': '%s', 'source_type': 'disk', "
                              "'destination_type': 'volume'}] | "
                              "virtblock.volumes.block_device_mapping_v2" % img)
    assert bad.rc != 0 and "ValidationError: Invalid input for field/attribute" in bad.stdout
