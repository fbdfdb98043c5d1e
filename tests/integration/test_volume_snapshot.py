"""volume_snapshot on the file backend with the SQLite store: Cinder's rules (force for an
in-use volume, a volume with snapshots is not deleted, a snapshot being made or deleted),
the row's states, the bytes, a volume made from the snapshot, idempotence and check mode."""

import hashlib
import os
import sqlite3
import uuid

from support.ansible_run import run_module


def rows(db_path, sql, *args):
    conn = sqlite3.connect(db_path)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_snapshot_rules_bytes_and_a_volume_from_it(volume_dir):
    backing = os.path.join(volume_dir, "backing")
    db_path = os.path.join(volume_dir, "records.sqlite")
    volume_id, snapshot_id, clone_id = (str(uuid.uuid4()) for dummy in range(3))
    store = dict(db_path=db_path)
    assert not run_module("volume", dict(volume_id=volume_id, size_mib=4, backing_dir=backing))["failed"]
    volume_path = os.path.join(backing, "volume-" + volume_id)
    with open(volume_path, "r+b") as handle:
        handle.write(b"VBTEST-SNAPSHOT-PAYLOAD")
    assert not run_module("volume_state", dict(store, volume_id=volume_id, size=1))["failed"]
    # in use: attached to an instance (the record is enough for Cinder's rule)
    assert not run_module("volume_state", dict(store, volume_id=volume_id, state="attached",
                                               instance_uuid=str(uuid.uuid4())))["failed"]
    args = dict(store, snapshot_id=snapshot_id, volume_id=volume_id, backing_dir=backing,
                display_name="before-upgrade")
    snap_path = os.path.join(backing, "snapshot-" + snapshot_id)

    refused = run_module("volume_snapshot", args)
    assert refused["failed"] and refused["msg"] == (
        "Invalid volume: Volume %s status must be available, but current status is: in-use." % volume_id)
    assert not os.path.exists(snap_path) and rows(db_path, "SELECT * FROM snapshots") == []

    checked = run_module("volume_snapshot", dict(args, force=True), check=True, diff=True)
    assert checked["changed"] and not checked["failed"], checked.get("msg")
    assert not os.path.exists(snap_path) and rows(db_path, "SELECT * FROM snapshots") == []

    made = run_module("volume_snapshot", dict(args, force=True), diff=True)
    assert made["changed"] and not made["failed"], made.get("msg")
    assert made["snapshot"]["status"] == "available" and made["snapshot"]["volume_size"] == 1
    row, = rows(db_path, "SELECT * FROM snapshots")
    assert (row["id"], row["volume_id"], row["status"], row["progress"], row["display_name"]) == (
        snapshot_id, volume_id, "available", "100%", "before-upgrade")
    assert row["provider_location"] == snap_path and digest(snap_path) == digest(volume_path)
    assert oct(os.stat(snap_path).st_mode & 0o777) == "0o600"
    assert run_module("volume_snapshot", dict(args, force=True))["changed"] is False
    # the volume changes later; the snapshot keeps the old bytes
    with open(volume_path, "r+b") as handle:
        handle.write(b"VBTEST-CHANGED-AFTERWARDS")
    assert digest(snap_path) != digest(volume_path)

    # a volume with snapshots is not deleted: neither its record nor its bytes
    assert not run_module("volume_state", dict(store, volume_id=volume_id, state="detached",
                                               instance_uuid=rows(db_path, "SELECT instance_uuid FROM "
                                                                  "volume_attachment")[0]["instance_uuid"]))["failed"]
    kept = run_module("volume_state", dict(store, volume_id=volume_id, state="absent"))
    assert kept["failed"] and "have snapshots" in kept["msg"]
    busy = run_module("volume", dict(volume_id=volume_id, state="absent", backing_dir=backing))
    assert busy["failed"] and "has snapshot" in busy["msg"] and os.path.exists(volume_path)

    # Cinder's create volume from snapshot: the snapshot's bytes
    clone = run_module("volume", dict(volume_id=clone_id, snapshot_id=snapshot_id, backing_dir=backing))
    assert clone["changed"] and not clone["failed"], clone.get("msg")
    with open(os.path.join(backing, "volume-" + clone_id), "rb") as handle:
        assert handle.read(23) == b"VBTEST-SNAPSHOT-PAYLOAD"

    gone = run_module("volume_snapshot", dict(store, snapshot_id=snapshot_id, state="absent",
                                              backing_dir=backing))
    assert gone["changed"] and not gone["failed"], gone.get("msg")
    assert not os.path.exists(snap_path) and not os.path.exists(snap_path + ".meta.json")
    assert rows(db_path, "SELECT status, deleted FROM snapshots") == [dict(status="deleted", deleted=1)]
    assert run_module("volume_snapshot", dict(store, snapshot_id=snapshot_id, state="absent",
                                              backing_dir=backing))["changed"] is False
    # now both go
    assert not run_module("volume_state", dict(store, volume_id=volume_id, state="absent"))["failed"]
    assert not run_module("volume", dict(volume_id=volume_id, state="absent", backing_dir=backing))["failed"]


def test_rbd_snapshot_is_a_protected_rbd_snap_and_a_clone_keeps_it_busy(ceph, tmp_path):
    """Cinder's RBD driver: snap create + protect; a volume cloned from the snapshot (not
    flattened) makes its delete SnapshotIsBusy, the row back to available; after the clone
    goes, the snapshot goes."""
    db_path = str(tmp_path / "records.sqlite")
    volume_id, snapshot_id, clone_id = (str(uuid.uuid4()) for dummy in range(3))
    assert not run_module("volume", ceph.module_args(volume_id=volume_id, size_mib=8))["failed"]
    assert not run_module("volume_state", dict(db_path=db_path, volume_id=volume_id, size=1))["failed"]
    args = ceph.client_args(backend="rbd", db_path=db_path, snapshot_id=snapshot_id, volume_id=volume_id)
    made = run_module("volume_snapshot", args)
    assert made["changed"] and made["snapshot"]["status"] == "available", made.get("msg")
    assert ceph.key not in repr(made)
    snaps = ceph.rbd("snap", "ls", "--format", "json", "volumes/volume-" + volume_id)
    assert '"name":"snapshot-%s"' % snapshot_id in snaps.replace(" ", "")
    assert run_module("volume_snapshot", args)["changed"] is False
    clone = run_module("volume", ceph.module_args(volume_id=clone_id, snapshot_id=snapshot_id))
    assert clone["changed"] and not clone["failed"], clone.get("msg")
    absent = dict(args, state="absent")
    busy = run_module("volume_snapshot", absent)
    assert busy["failed"] and busy["msg"] == "deleting snapshot snapshot-%s that has dependent volumes" % snapshot_id
    assert rows(db_path, "SELECT status FROM snapshots") == [dict(status="available")]
    assert not run_module("volume", ceph.module_args(volume_id=clone_id, state="absent"))["failed"]
    gone = run_module("volume_snapshot", absent)
    assert gone["changed"] and not gone["failed"], gone.get("msg")
    assert "snapshot-" not in ceph.rbd("snap", "ls", "volumes/volume-" + volume_id)
    assert not run_module("volume", ceph.module_args(volume_id=volume_id, state="absent"))["failed"]
