"""Encrypted volumes end to end, Nova's native LUKS way: a LUKS file volume exported by tgt,
opened by QEMU's iSCSI initiator with ``<encryption format='luks'>`` and a libvirt secret of
usage ``volume``, hot-plugged into ONE running TCG guest that sees the plaintext while the
storage side holds only ciphertext; a wrong passphrase leaves nothing behind; reruns and
check mode change nothing; the passphrase is in no output, result or record."""

import os
import sqlite3
import subprocess
import uuid
import xml.etree.ElementTree as ET

import pytest

from support.ansible_run import run_module

pytestmark = pytest.mark.slow

PROBE = b"VBTEST-WRITE-PROBE"       # the guest's /init writes zeros at 4096 into such a disk
MARK = b"X" * 512
LUKS_MAGIC = b"LUKS\xba\xbe"


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def luks_args(path, key_file):
    return ["--object", "secret,id=s0,format=raw,file=%s" % key_file,
            "--image-opts", "driver=luks,key-secret=s0,file.filename=%s" % path]


def payload_offset(path):
    out = subprocess.run(["qemu-img", "info", "--output=json", path], capture_output=True,
                         text=True, check=True).stdout
    import json
    return json.loads(out)["format-specific"]["data"]["payload-offset"]


def write_plaintext(path, key_file, marker):
    """What a guest would see at the start of the volume: the write probe and *marker*,
    then MARK at 4096, written through LUKS with qemu-img (the host's own decryptor)."""
    plain = path + ".plain"
    size = os.path.getsize(path) - payload_offset(path)
    with open(plain, "wb") as handle:
        handle.truncate(size)
        handle.write(PROBE + marker)
        handle.seek(4096)
        handle.write(MARK)
    try:
        subprocess.run(["qemu-img", "convert", "-n", "-f", "raw", plain, "--target-image-opts"]
                       + luks_args(path, key_file)[:2] + ["driver=luks,key-secret=s0,file.filename=%s" % path],
                       capture_output=True, text=True, check=True)
    finally:
        os.unlink(plain)


def read_plaintext(path, key_file):
    plain = path + ".read"
    subprocess.run(["qemu-img", "convert", "-O", "raw"] + luks_args(path, key_file) + [plain],
                   capture_output=True, text=True, check=True)
    try:
        with open(plain, "rb") as handle:
            return handle.read(8192)
    finally:
        os.unlink(plain)


def encrypted_volume(attach_env, size_mib=8):
    volume_id = str(uuid.uuid4())
    made = run_module("volume", dict(volume_id=volume_id, size_mib=size_mib, encrypted=True,
                                     backing_dir=attach_env.backing_dir))
    assert not made["failed"], made.get("msg")
    assert not run_module("volume_state", dict(volume_id=volume_id, size=1,
                                               db_path=attach_env.db_path))["failed"]
    return volume_id, made["volume_path"], made["encryption_key_file"]


def volume_secret(virt, volume_id):
    try:
        return virt.conn.secretLookupByUsage(virt.libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, volume_id)
    except virt.libvirt.libvirtError:
        return None


def store_dump(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_a_guest_sees_plaintext_of_a_luks_volume_and_a_wrong_passphrase_leaves_nothing(attach_env, guest, virt):
    dom, console = guest
    instance = dom.UUIDString()
    volume_id, path, key_file = encrypted_volume(attach_env)
    other_id, _other_path, _other_key = encrypted_volume(attach_env)
    with open(key_file) as handle:
        passphrase = handle.read()
    marker = uuid.uuid4().hex[:12].encode()
    write_plaintext(path, key_file, marker)
    try:
        # a wrong passphrase (the caller's) fails clearly; as after Nova's cleanup nothing stays
        wrong = attach_env.attach(instance, other_id,
                                  extra=dict(attach_volume_encryption_passphrase="not-the-passphrase"))
        assert wrong.rc != 0
        assert "libvirt could not attach the disk" in wrong.msg, wrong.msg
        assert attach_env.traces(other_id, dom) == dict(
            tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available", disk=False)
        assert volume_secret(virt, other_id) is None

        # check mode: nothing is made
        predicted = attach_env.attach(instance, volume_id, check=True)
        assert predicted.rc == 0, predicted.msg
        assert volume_secret(virt, volume_id) is None and volume_id not in virt.live_xml(dom)

        run = ok(attach_env.attach(instance, volume_id, verbosity=3, diff=True))
        live = virt.live_xml(dom)
        disk = [d for d in ET.fromstring(live).iter("disk") if d.findtext("serial") == volume_id][0]
        secret = volume_secret(virt, volume_id)
        assert secret is not None
        # libvirt shows the disk's <encryption> inside <source> in the live XML
        encryption = disk.find(".//encryption")
        assert encryption is not None and encryption.get("format") == "luks", ET.tostring(disk)
        assert encryption.find("secret").attrib == dict(type="passphrase", uuid=secret.UUIDString())
        # Nova's create_secret: ephemeral and private both no
        assert "ephemeral='no'" in secret.XMLDesc() and "private='no'" in secret.XMLDesc()

        # the guest reads the plaintext; its write (zeros at 4096, fsync) goes through LUKS
        console.wait_for(r"VBTEST-DISK vda serial=\S* data=%s%s" % (PROBE.decode(), marker.decode()[:14]),
                         timeout=120)
        console.wait_for(r"VBTEST-WRITE vda ok", timeout=90)
        with open(path, "rb") as handle:
            stored = handle.read()
        assert stored.startswith(LUKS_MAGIC)
        assert PROBE not in stored and marker not in stored and MARK not in stored

        again = ok(attach_env.attach(instance, volume_id))
        assert again.changed == 0

        for text in (run.stdout, again.stdout, wrong.stdout, str(run.tasks), store_dump(attach_env.db_path)):
            assert passphrase not in text
        assert "not-the-passphrase" not in wrong.stdout + str(wrong.tasks)

        ok(attach_env.detach(instance, volume_id))
        assert volume_secret(virt, volume_id) is None           # Nova's _detach_encryptor
        assert volume_id not in virt.live_xml(dom)
        plain = read_plaintext(path, key_file)
        assert plain.startswith(PROBE + marker) and plain[4096:4608] == b"\0" * 512
        assert attach_env.traces(volume_id)["bdms"] == 0
    finally:
        for vid in (volume_id, other_id):
            secret = volume_secret(virt, vid)
            if secret is not None:
                secret.undefine()
