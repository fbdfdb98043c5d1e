"""Multiattach end to end: one raw file volume with Cinder's multiattach flag, attached with
the unchanged attach playbook to two running TCG guests at once, both reading the same bytes;
detaching one leaves the other's disk, the tgtd export and the libvirt CHAP secret alone, and
only the last detach removes the export and makes the volume available (Cinder's LVM/tgt
``terminate_connection``: the export is shared while more than one attachment exists).

Which bytes, and why they are deterministic: the guests never write. The storage side writes
a marker into the volume's file; each guest's /init reads a disk whose first bytes start
``VBTEST-SHARED`` again on every pass after BLKFLSBUF (``blockdev --flushbufs``: its page
cache for the disk is dropped, so the read reaches QEMU), and QEMU opens a shareable disk with
cache=none (no host page cache between QEMU and the iSCSI target either). A new marker written
on the storage side is therefore what each guest reports next, and a guest detached from the
volume cannot report it. A guest-to-guest write would depend on when the writer's cache is
flushed; this does not.

The refusals (no guest needed, a defined domain is an instance): a non-multiattach in-use
volume for a second instance (Cinder's "volume is already attached"), and a multiattach
volume whose file is qcow2 (libvirt allows shared access only to raw: "shared access for
disk ... requires use of supported storage format"), both before anything is exported or
attached.
"""

import os
import subprocess

import pytest

from support.ansible_run import run_module
from support.guest import start_guest

pytestmark = pytest.mark.slow


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def multiattach_volume(attach_env):
    volume_id = attach_env.new_volume()
    made = run_module("volume_state", dict(volume_id=volume_id, multiattach=True,
                                           db_path=attach_env.db_path))
    assert not made["failed"], made.get("msg")
    return volume_id, os.path.join(attach_env.backing_dir, "volume-" + volume_id)


def mark(path, text):
    """The storage side writes a 32-byte marker at the volume's start (flushed to the file
    tgtd reads with pread, so the next read through the target sees it)."""
    with open(path, "r+b") as handle:
        handle.write(text.encode().ljust(32, b"-"))
        handle.flush()
        os.fsync(handle.fileno())


def disk_of(xml, volume_id):
    return xml.split("<serial>%s</serial>" % volume_id)[0].rsplit("<disk ", 1)[1] + \
        xml.split("<serial>%s</serial>" % volume_id)[1].split("</disk>", 1)[0]


def attachments(attach_env, volume_id):
    return attach_env.query("SELECT instance_uuid, attach_status FROM volume_attachment "
                            "WHERE volume_id = ? AND deleted = 0 ORDER BY instance_uuid", volume_id)


def test_two_running_guests_share_one_multiattach_volume(attach_env, virt, guest_image, volume_dir):
    volume_id, path = multiattach_volume(attach_env)
    mark(path, "VBTEST-SHARED-1")
    serial = volume_id[:20]
    # One TCG guest boots at a time (the machine is shared).
    a_dom, a_console = start_guest(virt, guest_image, volume_dir, "guest-a")
    b_dom, b_console = start_guest(virt, guest_image, volume_dir, "guest-b")
    a_uuid, b_uuid = a_dom.UUIDString(), b_dom.UUIDString()

    ok(attach_env.attach(a_uuid, volume_id))
    ok(attach_env.attach(b_uuid, volume_id))
    assert attach_env.volume_status(volume_id) == "in-use"
    assert attachments(attach_env, volume_id) == sorted(
        [dict(instance_uuid=a_uuid, attach_status="attached"),
         dict(instance_uuid=b_uuid, attach_status="attached")], key=lambda a: a["instance_uuid"])
    assert len(attach_env.bdms(volume_id)) == 2
    for dom in (a_dom, b_dom):
        disk = disk_of(virt.live_xml(dom), volume_id)
        assert "<shareable/>" in disk, disk
        assert "cache='none'" in disk, disk
    # Both guests see the storage side's bytes, and the next ones written there.
    a_dev = a_console.wait_for(r"VBTEST-DISK (\w+) serial=%s\S* data=VBTEST-SHARED-1" % serial, 120).group(1)
    b_dev = b_console.wait_for(r"VBTEST-DISK (\w+) serial=%s\S* data=VBTEST-SHARED-1" % serial, 120).group(1)
    mark(path, "VBTEST-SHARED-2")
    a_console.wait_for(r"VBTEST-DATA %s data=VBTEST-SHARED-2" % a_dev, 60)
    b_console.wait_for(r"VBTEST-DATA %s data=VBTEST-SHARED-2" % b_dev, 60)

    # What a detach of A will decide (one read): the export and, for a host (os-brick)
    # connection, the connection stay - B is attached on the same compute host.
    a_info = run_module("bdm_info", dict(instance_uuid=a_uuid, volume_id=volume_id,
                                         db_path=attach_env.db_path))
    assert (a_info["remove_export"], a_info["disconnect"]) == (False, False), a_info

    # A rerun changes nothing (one is enough: both attaches ran the same role); a check-mode
    # detach changes nothing.
    assert ok(attach_env.attach(a_uuid, volume_id)).changed == 0
    before = (attach_env.traces(volume_id, a_dom), attach_env.traces(volume_id, b_dom),
              attachments(attach_env, volume_id))
    ok(attach_env.detach(a_uuid, volume_id, check=True))
    assert (attach_env.traces(volume_id, a_dom), attach_env.traces(volume_id, b_dom),
            attachments(attach_env, volume_id)) == before

    # Detach from A: A's disk goes; B's disk, the export, its CHAP account and the libvirt
    # secret stay; the volume stays in-use with B's one attachment.
    secret = attach_env.chap_secret(volume_id)
    ok(attach_env.detach(a_uuid, volume_id))
    a_console.wait_for(r"VBTEST-GONE %s" % a_dev, 60)
    assert attach_env.traces(volume_id, a_dom) == dict(
        tgtd=True, target_file=True, libvirt_secret=True, bdms=1, status="in-use", disk=False)
    assert attach_env.traces(volume_id, b_dom)["disk"] is True
    assert attach_env.chap_secret(volume_id) == secret
    assert attachments(attach_env, volume_id) == [dict(instance_uuid=b_uuid, attach_status="attached")]
    b_info = run_module("bdm_info", dict(instance_uuid=b_uuid, volume_id=volume_id,
                                         db_path=attach_env.db_path))
    assert (b_info["remove_export"], b_info["disconnect"]) == (True, True), b_info
    mark(path, "VBTEST-SHARED-3")
    b_console.wait_for(r"VBTEST-DATA %s data=VBTEST-SHARED-3" % b_dev, 60)
    assert "VBTEST-SHARED-3" not in a_console.text()

    # The last detach removes the export; the volume is available.
    ok(attach_env.detach(b_uuid, volume_id))
    b_console.wait_for(r"VBTEST-GONE %s" % b_dev, 60)
    assert attach_env.traces(volume_id, b_dom) == dict(
        tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available", disk=False)
    assert attachments(attach_env, volume_id) == []
    assert ok(attach_env.detach(b_uuid, volume_id)).changed == 0


def test_a_volume_without_multiattach_is_refused_for_a_second_instance(attach_env, virt):
    first, second = virt.define(), virt.define()
    volume_id = attach_env.new_volume()
    ok(attach_env.attach(first.UUIDString(), volume_id))
    before = attach_env.traces(volume_id, first)
    refused = attach_env.attach(second.UUIDString(), volume_id)
    assert refused.rc != 0
    assert "volume is already attached" in refused.msg, refused.msg
    assert attach_env.traces(volume_id, first) == before
    assert attach_env.traces(volume_id, second)["disk"] is False
    assert attachments(attach_env, volume_id) == [
        dict(instance_uuid=first.UUIDString(), attach_status="attached")]
    ok(attach_env.detach(first.UUIDString(), volume_id))


def test_a_qcow2_multiattach_volume_is_refused_before_anything_is_exported(attach_env, virt):
    dom = virt.define()
    volume_id, path = multiattach_volume(attach_env)
    os.unlink(path)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "8M"], check=True, timeout=60)
    refused = attach_env.attach(dom.UUIDString(), volume_id)
    assert refused.rc != 0
    assert "shared access for disk" in refused.msg and "qcow2" in refused.msg, refused.msg
    assert attach_env.traces(volume_id, dom) == dict(
        tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available", disk=False)
    assert attachments(attach_env, volume_id) == []
