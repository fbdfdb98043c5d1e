"""The volume module on this host: file backend for real, LVM where device-mapper exists."""

import json
import os
import stat
import subprocess
import uuid

import pytest

from support.ansible_run import run_module

MiB = 1024 * 1024
GiB = 1024 * MiB


@pytest.fixture
def backing_dir(tmp_path):
    return str(tmp_path / "backing")


def volume(backing_dir, volume_id, check=False, diff=False, **args):
    args.update(volume_id=volume_id, backing_dir=backing_dir)
    return run_module("volume", args, check=check, diff=diff)


def new_id():
    return str(uuid.uuid4())


def test_blank_volume_is_sparse_private_and_idempotent(backing_dir):
    vid = new_id()
    predicted = volume(backing_dir, vid, check=True, size_mib=64)
    assert predicted["changed"] is True and not os.path.exists(backing_dir + "/volume-" + vid)
    created = volume(backing_dir, vid, size_mib=64)
    assert created["changed"] is True
    path = created["volume_path"]
    assert path == os.path.join(backing_dir, "volume-%s" % vid)
    assert created["size_bytes"] == 64 * MiB and created["size"] == 1 and created["bootable"] is False
    st = os.stat(path)
    assert st.st_size == 64 * MiB and st.st_blocks * 512 < MiB
    assert stat.S_IMODE(st.st_mode) == 0o600
    again = volume(backing_dir, vid, size_mib=64)
    assert again["changed"] is False and again["size_bytes"] == 64 * MiB
    assert volume(backing_dir, vid, check=True, size_mib=64)["changed"] is False


def test_size_in_gib_as_cinder_takes_it(backing_dir):
    created = volume(backing_dir, new_id(), size=2)
    assert created["size"] == 2 and created["size_bytes"] == 2 * GiB


def test_extend_grows_and_shrink_is_refused(backing_dir):
    vid = new_id()
    volume(backing_dir, vid, size_mib=16)
    predicted = volume(backing_dir, vid, check=True, diff=True, size_mib=32)
    assert predicted["changed"] is True
    assert predicted["diff"]["before"]["size_bytes"] == 16 * MiB
    assert predicted["diff"]["after"]["size_bytes"] == 32 * MiB
    assert os.path.getsize(predicted["volume_path"]) == 16 * MiB
    grown = volume(backing_dir, vid, size_mib=32)
    assert grown["changed"] is True and os.path.getsize(grown["volume_path"]) == 32 * MiB
    shrunk = volume(backing_dir, vid, size_mib=8)
    assert shrunk["failed"] is True
    assert "New size for extend must be greater than current size" in shrunk["msg"]
    assert os.path.getsize(grown["volume_path"]) == 32 * MiB


def test_from_image_converts_to_raw_and_marks_bootable(backing_dir, tmp_path):
    image = str(tmp_path / "image.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "8M"], check=True)
    subprocess.run(["qemu-io", "-c", "write -P 0x5a 1048576 4096", image], check=True, capture_output=True)
    vid = new_id()
    created = volume(backing_dir, vid, image=image, size_mib=16)
    assert created["changed"] is True and created["bootable"] is True
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", created["volume_path"]],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "raw" and info["virtual-size"] == 16 * MiB
    with open(created["volume_path"], "rb") as handle:
        handle.seek(MiB)
        assert handle.read(4096) == b"\x5a" * 4096
    again = volume(backing_dir, vid, image=image, size_mib=16)
    assert again["changed"] is False and again["bootable"] is True


def test_image_larger_than_the_volume_is_refused(backing_dir, tmp_path):
    image = str(tmp_path / "big.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", image, "20M"], check=True)
    vid = new_id()
    result = volume(backing_dir, vid, image=image, size_mib=10)
    assert result["failed"] is True
    assert "doesn't fit in a volume of size" in result["msg"]
    assert not os.listdir(backing_dir) if os.path.isdir(backing_dir) else True


def test_image_with_a_backing_file_is_refused(backing_dir, tmp_path):
    base = str(tmp_path / "base.qcow2")
    overlay = str(tmp_path / "overlay.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", base, "8M"], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay], check=True)
    result = volume(backing_dir, new_id(), image=overlay, size_mib=16)
    assert result["failed"] is True and "backed by" in result["msg"]


def test_copy_of_a_volume_and_of_a_snapshot(backing_dir):
    source = new_id()
    created = volume(backing_dir, source, size_mib=8)
    with open(created["volume_path"], "r+b") as handle:
        handle.write(b"cinder-source-data")
    copy = volume(backing_dir, new_id(), source_volid=source)
    assert copy["changed"] is True and copy["size_bytes"] == 8 * MiB
    with open(copy["volume_path"], "rb") as handle:
        assert handle.read(18) == b"cinder-source-data"

    smaller = volume(backing_dir, new_id(), source_volid=source, size_mib=4)
    assert smaller["failed"] is True and "cannot be smaller than original volume size" in smaller["msg"]

    snapshot = new_id()
    os.rename(copy["volume_path"], os.path.join(backing_dir, "snapshot-%s" % snapshot))
    from_snapshot = volume(backing_dir, new_id(), snapshot_id=snapshot, size_mib=12)
    assert from_snapshot["size_bytes"] == 12 * MiB
    with open(from_snapshot["volume_path"], "rb") as handle:
        assert handle.read(18) == b"cinder-source-data"

    missing = volume(backing_dir, new_id(), snapshot_id=new_id())
    assert missing["failed"] is True and "could not be found" in missing["msg"]


def test_absent_deletes_and_is_idempotent(backing_dir):
    vid = new_id()
    created = volume(backing_dir, vid, size_mib=4)
    assert volume(backing_dir, vid, check=True, state="absent")["changed"] is True
    assert os.path.exists(created["volume_path"])
    assert volume(backing_dir, vid, state="absent")["changed"] is True
    assert not os.path.exists(created["volume_path"])
    assert volume(backing_dir, vid, state="absent")["changed"] is False


def test_absent_is_refused_while_exported_unless_forced(backing_dir, tgtd):
    vid = new_id()
    created = volume(backing_dir, vid, size_mib=4)
    exported = run_module("iscsi_target", tgtd.module_args(volume_id=vid, backing_store=created["volume_path"]))
    assert exported["changed"] is True
    common = dict(state="absent", volumes_dir=tgtd.volumes_dir, control_port=tgtd.control_port)
    refused = volume(backing_dir, vid, **common)
    assert refused["failed"] is True and "is exported" in refused["msg"]
    assert os.path.exists(created["volume_path"])
    forced = volume(backing_dir, vid, force=True, **common)
    assert forced["changed"] is True
    assert not os.path.exists(created["volume_path"])
    assert not os.path.exists(exported["target_file"])
    assert exported["iqn"] not in tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")


@pytest.mark.parametrize("args, message", [
    (dict(volume_id="../../etc/x", size_mib=4), "is not a valid UUID"),
    (dict(volume_id="1234", size_mib=4), "is not a valid UUID"),
    (dict(size=1, size_mib=4), "mutually exclusive"),
    (dict(), "size (GiB) or size_mib is required"),
    (dict(size_mib=0), "greater than 0"),
    (dict(image="/nonexistent.qcow2"), "does not exist"),
    (dict(backend="lvm", size=1), "volume_group"),
])
def test_bad_input_fails_clearly_and_writes_nothing(backing_dir, args, message):
    args.setdefault("volume_id", new_id())
    args["backing_dir"] = backing_dir
    result = run_module("volume", args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert "Traceback" not in result["_stdout"]
    assert not os.path.isdir(backing_dir) or not os.listdir(backing_dir)


def _device_mapper():
    return os.path.exists("/dev/mapper/control")


@pytest.mark.skipif(not _device_mapper(),
                    reason="no device-mapper on this host: LVM cannot activate a logical volume")
def test_lvm_backend_creates_extends_and_deletes(tmp_path):
    image = str(tmp_path / "pv.img")
    with open(image, "wb") as handle:
        handle.truncate(256 * MiB)
    loop = subprocess.run(["losetup", "-f", "--show", image], capture_output=True, text=True, check=True).stdout.strip()
    vg = "vbtest%s" % uuid.uuid4().hex[:6]
    try:
        subprocess.run(["vgcreate", vg, loop], check=True, capture_output=True)
        vid = new_id()
        args = dict(volume_id=vid, backend="lvm", volume_group=vg, size_mib=16)
        created = run_module("volume", args)
        assert created["changed"] is True and created["volume_path"] == "/dev/%s/volume-%s" % (vg, vid)
        assert run_module("volume", args)["changed"] is False
        assert run_module("volume", dict(args, size_mib=32))["size_bytes"] == 32 * MiB
        assert run_module("volume", dict(args, state="absent"))["changed"] is True
    finally:
        subprocess.run(["vgremove", "-f", vg], capture_output=True, check=False)
        subprocess.run(["losetup", "-d", loop], capture_output=True, check=False)
