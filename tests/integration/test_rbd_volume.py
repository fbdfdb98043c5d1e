"""The volume module's rbd backend against the session's real Ceph (Cinder's RBD driver)."""

import os
import subprocess
import time
import uuid

from support.ansible_run import run_module

MiB = 1024 * 1024


def new_id():
    return str(uuid.uuid4())


def volume(ceph, volume_id, check=False, diff=False, env=None, **args):
    full = ceph.module_args(volume_id=volume_id)
    full.update(args)
    return run_module("volume", full, check=check, diff=diff, env=env)


def assert_no_key(ceph, *results):
    for result in results:
        assert ceph.key not in repr(result)


def test_blank_volume_extend_and_delete_idempotent(ceph):
    vid = new_id()
    name = "volume-" + vid
    predicted = volume(ceph, vid, check=True, diff=True, size_mib=16)
    assert predicted["changed"] is True and not ceph.exists(name)
    created = volume(ceph, vid, size_mib=16)
    assert created["changed"] is True and created["volume_path"] == "volumes/" + name
    assert created["size_bytes"] == 16 * MiB and created["backend"] == "rbd"
    assert ceph.exists(name)
    again = volume(ceph, vid, size_mib=16)
    assert again["changed"] is False
    grown = volume(ceph, vid, diff=True, size_mib=32)
    assert grown["changed"] is True and grown["diff"]["before"]["size_bytes"] == 16 * MiB
    assert '"size":%d' % (32 * MiB) in ceph.rbd("info", "--format", "json", "volumes/" + name)
    shrink = volume(ceph, vid, size_mib=8)
    assert shrink["failed"] and "Shrinking a volume is not supported" in shrink["msg"]
    gone = volume(ceph, vid, state="absent")
    assert gone["changed"] is True and not ceph.exists(name)
    assert volume(ceph, vid, state="absent")["changed"] is False
    assert_no_key(ceph, predicted, created, again, grown, gone)


def test_clone_from_glance_image_snapshot_and_volume(ceph, tmp_path):
    """Seed row 1: a bootable volume cloned copy-on-write from the image's protected snapshot;
    then a volume from a snapshot (flattened when asked) and one from a volume."""
    image_id = new_id()
    raw = tmp_path / "image.raw"
    raw.write_bytes(b"VBTEST-RBD-IMAGE".ljust(8 * MiB, b"\0"))
    ceph.glance_image(str(raw), image_id)
    with open(os.path.join(ceph.path, "fsid")) as handle:
        fsid = handle.read().strip()
    location = "rbd://%s/images/%s/snap" % (fsid, image_id)
    vid = new_id()
    made = volume(ceph, vid, image_location=location, size_mib=16)
    assert made["changed"] is True and made["bootable"] is True and made["size_bytes"] == 16 * MiB
    info = ceph.rbd("info", "--format", "json", "volumes/volume-" + vid)
    assert '"parent":{"pool":"images"' in info.replace(" ", "") and image_id in info
    assert volume(ceph, vid, image_location=location, size_mib=16)["changed"] is False

    other = volume(ceph, new_id(), image_location="rbd://%s/images/%s/snap" % (new_id(), image_id))
    assert other["failed"] and "not in this one" in other["msg"]

    # Cinder's create_snapshot: snap + protect; then create_volume_from_snapshot
    snap_id = new_id()
    ceph.rbd("snap", "create", "volumes/volume-%s@snapshot-%s" % (vid, snap_id))
    ceph.rbd("snap", "protect", "volumes/volume-%s@snapshot-%s" % (vid, snap_id))
    from_snap = new_id()
    res = volume(ceph, from_snap, snapshot_id=snap_id, rbd_flatten_volume_from_snapshot=True)
    assert res["changed"] is True and res["bootable"] is True
    assert '"parent"' not in ceph.rbd("info", "--format", "json", "volumes/volume-" + from_snap)

    # a volume with a (non-clone) snapshot cannot go: Cinder's VolumeIsBusy wording
    busy = volume(ceph, vid, state="absent")
    assert busy["failed"] and busy["msg"] == "deleting volume volume-%s that has snapshot" % vid
    assert ceph.exists("volume-" + vid)

    # create_cloned_volume: <dest>.clone_snap on the source, the clone depends on it
    cloned = new_id()
    assert volume(ceph, cloned, source_volid=from_snap)["changed"] is True
    snaps = ceph.rbd("snap", "ls", "volumes/volume-" + from_snap)
    assert "volume-%s.clone_snap" % cloned in snaps
    # deleting the source keeps it as <name>.deleted until its clone goes (Cinder)
    assert volume(ceph, from_snap, state="absent")["changed"] is True
    assert ceph.exists("volume-%s.deleted" % from_snap)
    assert volume(ceph, cloned, state="absent")["changed"] is True
    assert not ceph.exists("volume-%s.deleted" % from_snap)

    ceph.rbd("snap", "unprotect", "volumes/volume-%s@snapshot-%s" % (vid, snap_id))
    ceph.rbd("snap", "rm", "volumes/volume-%s@snapshot-%s" % (vid, snap_id))
    assert volume(ceph, vid, state="absent")["changed"] is True


def test_local_image_file_converted_in(ceph, tmp_path):
    qcow = tmp_path / "image.qcow2"
    raw = tmp_path / "image.raw"
    raw.write_bytes(b"VBTEST-QCOW2-MARKER".ljust(4 * MiB, b"\0"))
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(qcow)], check=True)
    vid = new_id()
    made = volume(ceph, vid, image=str(qcow), size_mib=8)
    assert made["changed"] is True and made["bootable"] is True and made["size_bytes"] == 8 * MiB
    out = tmp_path / "back.raw"
    ceph.rbd("export", "--no-progress", "volumes/volume-" + vid, str(out))
    assert out.read_bytes().startswith(b"VBTEST-QCOW2-MARKER")
    assert volume(ceph, vid, state="absent")["changed"] is True


def test_bad_input_fails_clearly_and_leaves_nothing(ceph, tmp_path):
    vid = new_id()
    nopool = volume(ceph, vid, size_mib=8, rbd_pool="no-such-pool")
    assert nopool["failed"] and "pool no-such-pool does not exist" in nopool["msg"]

    wrong = tmp_path / "wrong.keyring"
    wrong.write_text("[client.%s]\n\tkey = AQAKsAxroSjjDhAAB8nJ+H0dSKjud54sK6pY7g==\n" % ceph.user)
    badkey = volume(ceph, vid, size_mib=8, rbd_keyring=str(wrong))
    assert badkey["failed"] and "wrong key" in badkey["msg"]

    started = time.monotonic()
    args = ceph.module_args(volume_id=vid, size_mib=8, rbd_mon_host=["127.0.0.1:9"],
                            rados_connect_timeout=3)
    del args["rbd_ceph_conf"]
    dead = run_module("volume", args)
    assert time.monotonic() - started < 60
    assert dead["failed"] and "did not answer within 3 s" in dead["msg"] and "127.0.0.1:9" in dead["msg"]
    assert not ceph.exists("volume-" + vid)

    # the key given as a value: it reaches rbd only as a file, never in argv or the result
    as_value = ceph.module_args(volume_id=vid, size_mib=8, rbd_key=ceph.key)
    del as_value["rbd_keyring"]
    made = run_module("volume", as_value)
    assert made["changed"] is True
    assert ceph.key not in made["_stdout"]
    leftovers = [d for d in os.listdir("/tmp") if d.startswith("virtblock-rbd-")]
    gone = run_module("volume", dict(as_value, state="absent"), env={"VIRTBLOCK_RBD_KEY": ceph.key})
    assert gone["changed"] is True and not leftovers
