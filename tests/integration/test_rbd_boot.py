"""The roles with backend rbd against the session's real Ceph, libvirtd + QEMU (TCG guest)
and a SQLite store: boot from an RBD volume cloned from a Glance RBD image (the seed's first
row) that the guest mounts as its root and prints the image's marker from, a blank RBD data
volume attached beside it, detach, and delete_instance honouring delete_on_termination."""

import json
import os
import sqlite3
import uuid

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import (
    derived_instance_uuid, new_volume_id)
from support.guest import Console, make_root_image
from support.ansible_run import run_playbook
from support.libvirtd import remove_domains

CMDLINE = "console=ttyS0 panic=-1 quiet"


def rows(db, sql, *args):
    if not os.path.exists(db):
        return []
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, args)]


@pytest.fixture
def rbd_site(ceph, libvirtd_running, guest_image, volume_dir):
    """Playbook variables for rbd, and the clean-up of what a failed test leaves."""
    names = []
    with open(os.path.join(ceph.path, "fsid")) as handle:
        fsid = handle.read().strip()
    site = {
        "vars": {
            "virtblock_backend": "rbd",
            "virtblock_rbd": dict(rbd_ceph_conf=ceph.conf, rbd_user=ceph.user, rbd_key=ceph.key),
            "virtblock_glance_rbd_fsid": fsid,
            "virtblock_images_dir": os.path.join(volume_dir, "images"),
            "virtblock_instances_path": os.path.join(volume_dir, "instances"),
            "virtblock_db_path": os.path.join(volume_dir, "records.sqlite"),
        },
        "names": names, "guest": guest_image, "dir": volume_dir,
    }
    yield site
    import libvirt
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    conn = libvirt.open("qemu:///system")
    try:
        remove_domains(conn, names)
        try:
            conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH,
                                     "client.%s secret" % ceph.user).undefine()
        except libvirt.libvirtError:
            pass
    finally:
        conn.close()


@pytest.mark.slow
def test_boot_from_rbd_clone_of_glance_image_attach_detach_delete(ceph, rbd_site):
    marker = "VBTEST-RBD-ROOT-%s" % uuid.uuid4().hex[:8]
    image_id = str(uuid.uuid4())
    raw = make_root_image(os.path.join(rbd_site["dir"], "image.raw"), marker, fmt="raw")
    ceph.glance_image(raw, image_id)          # images/<id>@snap, protected, as Glance's RBD store
    kernel, initrd = rbd_site["guest"]
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    rbd_site["names"].append(name)
    inst = derived_instance_uuid(name)
    root_volume = new_volume_id(inst, 0)
    server = {"name": name, "memory": 256, "vcpus": 1, "kernel": kernel, "ramdisk": initrd,
              "cmdline": "%s vbtest.root_serial=%s" % (CMDLINE, root_volume),
              "block_device_mapping_v2": [
                  {"boot_index": 0, "uuid": image_id, "source_type": "image",
                   "destination_type": "volume", "volume_size": 1, "delete_on_termination": True},
                  {"source_type": "blank", "destination_type": "volume", "volume_size": 1}]}
    variables = dict(rbd_site["vars"], virtblock_server=server)
    booted = run_playbook("boot_from_volume.yml", variables)
    assert not booted.failed, booted.messages() or booted.stdout[-3000:]

    console = Console(os.path.join(rbd_site["vars"]["virtblock_instances_path"], inst, "console.log"))
    root = console.wait_for(r"VBTEST-ROOT vd[a-z] serial=(\S+)", timeout=180)
    assert root.group(1) == root_volume[:20]
    console.wait_for("VBTEST-MARKER %s" % marker, timeout=60)

    # the root volume is a copy-on-write clone of the image's protected snapshot
    info = json.loads(ceph.rbd("info", "--format", "json", "volumes/volume-" + root_volume))
    assert info["parent"]["pool"] == "images" and info["parent"]["image"] == image_id
    assert info["parent"]["snapshot"] == "snap" and info["size"] == 1 << 30

    db = rbd_site["vars"]["virtblock_db_path"]
    bdms = rows(db, "select * from block_device_mapping where instance_uuid = ? and deleted = 0"
                " order by device_name", inst)
    assert [b["device_name"] for b in bdms] == ["/dev/vda", "/dev/vdb"]
    boot = bdms[0]
    assert (boot["source_type"], boot["destination_type"], boot["boot_index"], boot["image_id"]) == \
        ("image", "volume", 0, image_id)
    info = json.loads(boot["connection_info"])
    data = info["data"]
    assert info["driver_volume_type"] == "rbd" and data["name"] == "volumes/volume-" + root_volume
    assert data["hosts"] == [ceph.ip] and data["ports"] == ["6789"] and data["auth_username"] == ceph.user
    assert "keyring" not in data or data["keyring"] in (None, "")
    blank_volume = bdms[1]["volume_id"]
    assert ceph.exists("volume-" + blank_volume)
    everything = json.dumps(rows(db, "select * from block_device_mapping")) + booted.stdout + json.dumps(booted.tasks)
    assert ceph.key not in everything

    again = run_playbook("boot_from_volume.yml", variables)
    assert not again.failed and again.changed == 0, again.stdout[-3000:]

    detached = run_playbook("detach_volume.yml", dict(
        rbd_site["vars"], instance_uuid=inst, volume_id=blank_volume))
    assert not detached.failed, detached.messages() or detached.stdout[-3000:]
    console.wait_for(r"VBTEST-GONE vd[a-z]", timeout=60)

    deleted = run_playbook("delete_instance.yml", dict(rbd_site["vars"], virtblock_instance_name=name))
    assert not deleted.failed, deleted.messages() or deleted.stdout[-3000:]
    assert not ceph.exists("volume-" + root_volume)          # delete_on_termination
    assert ceph.exists("volume-" + blank_volume)
    ceph.rbd("rm", "--no-progress", "volumes/volume-" + blank_volume)
    assert ceph.key not in detached.stdout + deleted.stdout + json.dumps(detached.tasks + deleted.tasks)
