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

from support.ansible_run import run_module, run_playbook

pytestmark = pytest.mark.slow

PROBE = b"VBTEST-WRITE-PROBE"       # the guest's /init writes zeros at 4096 into such a disk
MARK = b"X" * 512
LUKS_MAGIC = b"LUKS\xba\xbe"
GiB = 1024 ** 3


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def luks_args(path, key_file):
    return ["--object", "secret,id=s0,format=raw,file=%s" % key_file,
            "--image-opts", "driver=luks,key-secret=s0,file.filename=%s" % path]


def write_plaintext(path, key_file, marker):
    """What a guest would see at the start of the volume: the write probe and *marker*,
    then MARK at 4096, written through LUKS with qemu-io (the host's own decryptor)."""
    source = path + ".plain"
    with open(source, "wb") as handle:
        handle.write((PROBE + marker).ljust(4096, b"\0") + MARK)
    try:
        subprocess.run(["qemu-io"] + luks_args(path, key_file) + ["-c", "write -s %s 0 4608" % source],
                       capture_output=True, text=True, check=True)
    finally:
        os.unlink(source)


def read_plaintext(path, key_file):
    """The first 8 KiB the guest sees, decrypted with qemu-img dd."""
    out = path + ".read"
    subprocess.run(["qemu-img", "dd", "--object", "secret,id=s0,format=raw,file=%s" % key_file,
                    "--image-opts", "-O", "raw", "bs=4096", "count=2",
                    "if=driver=luks,key-secret=s0,file.filename=%s" % path, "of=%s" % out],
                   capture_output=True, text=True, check=True)
    try:
        with open(out, "rb") as handle:
            return handle.read()
    finally:
        os.unlink(out)


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
    volume_id, path, key_file = encrypted_volume(attach_env, size_mib=1024)
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
            stored = handle.read(16 << 20)
        assert stored.startswith(LUKS_MAGIC)
        assert PROBE not in stored and marker not in stored and MARK not in stored

        again = ok(attach_env.attach(instance, volume_id))
        assert again.changed == 0

        # extend while attached: the guest gets the new size less the LUKS header (Nova's
        # _resize_attached_encrypted_volume), the header stays where it was
        header = run_module("volume", dict(volume_id=volume_id, size=1, backing_dir=attach_env.backing_dir))
        offset = header["encryption_payload_offset"]
        console.wait_for(r"VBTEST-SIZE vda %d\b" % ((GiB - offset) // 512), timeout=60)
        grown = ok(run_playbook("extend_volume.yml", attach_env.vars(volume_id=volume_id, new_size=2)))
        assert grown.changed == 4          # extending, bytes + LUN, blockResize, extended
        console.wait_for(r"VBTEST-SIZE vda %d\b" % ((2 * GiB - offset) // 512), timeout=60)
        assert os.path.getsize(path) == 2 * GiB
        assert ok(run_playbook("extend_volume.yml", attach_env.vars(volume_id=volume_id, new_size=2))).changed == 0

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


def test_boot_from_an_encrypted_image_volume(site):
    """The boot role creates the root volume from an image as a LUKS container; QEMU opens
    it at start with the volume's libvirt secret and the guest mounts its root from it."""
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import new_volume_id
    from support.boot_site import domain_xml, instance_uuid
    from support.guest import Console

    marker = "VBTEST-LUKS-%s" % uuid.uuid4().hex[:8]
    image_id = site.image(marker)
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    root_volume = new_volume_id(instance_uuid(name), 0)
    server = site.server([{"boot_index": 0, "uuid": image_id, "source_type": "image",
                           "destination_type": "volume", "volume_size": 1, "delete_on_termination": True}],
                         root="vbtest.root_serial=%s" % root_volume)
    server["name"] = name
    site.names.append(name)
    booted = run_playbook("boot_from_volume.yml", dict(site.vars, virtblock_server=server,
                                                       boot_from_volume_encrypted=True),
                          inventory="localhost,")
    assert booted.rc == 0, booted.msg or booted.stdout[-3000:]
    console = Console(os.path.join(site.instances, instance_uuid(name), "console.log"))
    console.wait_for("VBTEST-MARKER %s" % marker, timeout=120)
    path = os.path.join(site.backing, "volume-" + root_volume)
    with open(path, "rb") as handle:
        stored = handle.read(32 << 20)
    assert stored.startswith(LUKS_MAGIC) and marker.encode() not in stored
    _running, xml = domain_xml(name)
    disk = [d for d in ET.fromstring(xml).iter("disk") if d.findtext("serial") == root_volume][0]
    assert disk.find(".//encryption").get("format") == "luks"
    with open(os.path.join(site.backing, "keys", "volume-%s.key" % root_volume)) as handle:
        assert handle.read() not in booted.stdout
    deleted = site.delete(name)
    assert deleted.rc == 0, deleted.msg
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.join(site.backing, "keys", "volume-%s.key" % root_volume))
