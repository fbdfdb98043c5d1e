"""The volume module's encrypted (LUKS) file volumes, for real with qemu-img."""

import os
import stat
import subprocess
import uuid

import pytest

from support.ansible_run import run_module

MiB = 1024 * 1024
LUKS_MAGIC = b"LUKS\xba\xbe"


@pytest.fixture
def backing_dir(tmp_path):
    return str(tmp_path / "backing")


def volume(backing_dir, volume_id, check=False, diff=False, **args):
    args.update(volume_id=volume_id, backing_dir=backing_dir)
    return run_module("volume", args, check=check, diff=diff)


def opens_with(path, passphrase_file):
    """Whether qemu-img can open the LUKS volume with the passphrase in the file."""
    proc = subprocess.run(
        ["qemu-img", "info", "--output=json", "--object",
         "secret,id=s0,format=raw,file=%s" % passphrase_file, "--image-opts",
         "driver=luks,key-secret=s0,file.filename=%s" % path], capture_output=True, text=True, check=False)
    return proc.returncode == 0


def test_generated_passphrase_is_kept_only_in_a_0600_file_and_reused(backing_dir):
    vid = str(uuid.uuid4())
    keys = os.path.join(backing_dir, "keys")
    predicted = volume(backing_dir, vid, check=True, size_mib=8, encrypted=True)
    assert predicted["changed"] is True and predicted["encrypted"] is True
    assert not os.path.exists(backing_dir)
    created = volume(backing_dir, vid, diff=True, size_mib=8, encrypted=True)
    assert created["changed"] is True and created["encrypted"] is True
    path = created["volume_path"]
    key = created["encryption_key_file"]
    assert key == os.path.join(keys, "volume-%s.key" % vid)
    # the whole volume is the asked size, the LUKS header inside (os-brick's luksFormat)
    assert os.path.getsize(path) == 8 * MiB
    with open(path, "rb") as handle:
        assert handle.read(6) == LUKS_MAGIC
    assert stat.S_IMODE(os.stat(keys).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with open(key) as handle:
        passphrase = handle.read()
    assert len(passphrase) == 64 and int(passphrase, 16) >= 0    # Nova's hexlify(256-bit key)
    assert passphrase not in created["_stdout"] and passphrase not in str(created["diff"])
    assert opens_with(path, key)
    again = volume(backing_dir, vid, size_mib=8, encrypted=True)
    assert again["changed"] is False and again["encrypted"] is True
    assert open(key).read() == passphrase
    # an extend grows the payload; the header stays
    grown = volume(backing_dir, vid, size_mib=16)
    assert grown["changed"] is True and grown["encrypted"] is True
    assert os.path.getsize(path) == 16 * MiB and opens_with(path, key)
    gone = volume(backing_dir, vid, state="absent")
    assert gone["changed"] is True and not os.path.exists(path) and not os.path.exists(key)


def test_a_given_passphrase_is_used_and_kept_nowhere(backing_dir, tmp_path):
    vid = str(uuid.uuid4())
    passphrase = "vault-" + uuid.uuid4().hex
    created = volume(backing_dir, vid, size_mib=8, encrypted=True, encryption_passphrase=passphrase)
    assert created["changed"] is True and "encryption_key_file" not in created
    keys = os.path.join(backing_dir, "keys")
    assert os.listdir(keys) == []        # the temporary passphrase file is gone
    given = tmp_path / "given"
    given.write_text(passphrase)
    assert opens_with(created["volume_path"], str(given))
    assert passphrase not in created["_stdout"]


@pytest.mark.parametrize("args, message", [
    (dict(size_mib=2, encrypted=True), "at least 4 MiB"),
    (dict(size_mib=8, encrypted=True, backend="lvm", volume_group="vbtest-none"), "file backend only"),
])
def test_bad_input_fails_clearly_and_writes_nothing(backing_dir, args, message):
    result = volume(backing_dir, str(uuid.uuid4()), **args)
    assert result["failed"] is True and message in result["msg"]
    assert not os.path.exists(os.path.join(backing_dir, "keys"))


def test_an_existing_plain_volume_is_not_reformatted(backing_dir):
    vid = str(uuid.uuid4())
    volume(backing_dir, vid, size_mib=8)
    result = volume(backing_dir, vid, size_mib=8, encrypted=True)
    assert result["failed"] is True and "exists and is not encrypted" in result["msg"]
    with open(os.path.join(backing_dir, "volume-" + vid), "rb") as handle:
        assert handle.read(6) != LUKS_MAGIC


def test_an_encrypted_volume_from_an_image_holds_the_image_encrypted(backing_dir, tmp_path):
    marker = b"VBTEST-IMAGE-" + uuid.uuid4().hex.encode()
    raw = tmp_path / "image.raw"
    raw.write_bytes(marker.ljust(4 * MiB, b"\0"))
    image = str(tmp_path / "image.qcow2")
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), image], check=True)
    vid = str(uuid.uuid4())
    too_small = volume(backing_dir, vid, image=image, size_mib=5, encrypted=True)
    assert too_small["failed"] is True and "doesn't fit" in too_small["msg"]
    assert not os.path.exists(os.path.join(backing_dir, "volume-" + vid))
    made = volume(backing_dir, vid, image=image, size_mib=8, encrypted=True)
    assert made["changed"] is True and made["bootable"] is True and made["encrypted"] is True
    path, key = made["volume_path"], made["encryption_key_file"]
    assert os.path.getsize(path) == 8 * MiB
    with open(path, "rb") as handle:
        stored = handle.read()
    assert stored.startswith(LUKS_MAGIC) and marker not in stored
    out = str(tmp_path / "plain")
    subprocess.run(["qemu-img", "dd", "--object", "secret,id=s0,format=raw,file=%s" % key, "--image-opts",
                    "-O", "raw", "bs=4096", "count=1", "if=driver=luks,key-secret=s0,file.filename=%s" % path,
                    "of=%s" % out], check=True, capture_output=True)
    with open(out, "rb") as handle:
        assert handle.read().startswith(marker)
    assert volume(backing_dir, vid, image=image, size_mib=8, encrypted=True)["changed"] is False
