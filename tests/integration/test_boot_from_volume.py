"""playbooks/boot_from_volume.yml and delete_instance.yml against the real tgtd, libvirtd +
QEMU (TCG guest), and a SQLite store: the guest boots from a volume made from an image and
prints the marker the image carried."""

import glob
import json
import os
import subprocess
import uuid

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import new_volume_id
from support.boot_site import domain_xml, instance_uuid
from support.guest import Console


def file_magic(path, offset, length):
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read(length)


@pytest.mark.parametrize("bdms, image, error", [
    ([{"source_type": "volume", "uuid": str(uuid.uuid4()), "destination_type": "volume",
       "boot_index": 1}], None, "InvalidBDMBootSequence: Block Device Mapping is Invalid: Boot sequence"),
    ([{"source_type": "image", "uuid": str(uuid.uuid4()), "destination_type": "volume",
       "boot_index": 0}], None, "InvalidBDM: Images with destination_type 'volume' need to have a non-zero size"),
    ([{"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 8},
      {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 8}],
     "dbbec6ed-017e-45b0-845d-45c73c718ac6", "InvalidBDMFormat: Block Device Mapping is Invalid: More than one swap"),
])
def test_bad_requests_fail_before_anything_is_created(site, bdms, image, error):
    server = site.server(bdms, image=image)
    result = site.boot(server)
    assert result.failed
    assert error in result.messages()
    assert not glob.glob(os.path.join(site.backing, "*"))
    assert not os.path.exists(site.instances)
    assert domain_xml(server["name"]) == (None, None)
    assert site.rows("select * from block_device_mapping") == []


def test_boot_from_an_image_volume_really_boots_and_delete_honours_delete_on_termination(site):
    marker = "VBTEST-IMAGE-%s" % uuid.uuid4().hex[:8]
    image_id = site.image(marker)
    # The guest kernel names virtio disks in PCI order, not by libvirt's target dev (Nova's
    # device names are hints too): /init finds its root volume by serial, the id the
    # request's first mapping gets (derived, so known before the boot).
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    root_volume = new_volume_id(instance_uuid(name), 0)
    server = site.server([
        {"boot_index": 0, "uuid": image_id, "source_type": "image", "destination_type": "volume",
         "volume_size": 1, "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1},
        {"source_type": "blank", "destination_type": "local", "volume_size": 1, "guest_format": "ext4"},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 16},
    ], root="vbtest.root_serial=%s" % root_volume)
    server["name"] = name
    site.names.append(name)
    inst = instance_uuid(name)
    result = site.boot(server)
    assert not result.failed, result.messages() or result.stdout[-3000:]

    # The guest found its root volume (vda, over QEMU's iSCSI) and read the image's marker.
    console = Console(os.path.join(site.instances, inst, "console.log"))
    root = console.wait_for(r"VBTEST-ROOT vd[a-z] serial=(\S+)", timeout=120)
    console.wait_for("VBTEST-MARKER %s" % marker, timeout=60)

    rows = site.bdms(inst)
    by_dev = dict((r["device_name"], r) for r in rows)
    assert sorted(by_dev) == ["/dev/vda", "/dev/vdb", "/dev/vdc", "/dev/vdd"]
    boot = by_dev["/dev/vda"]
    assert root.group(1) == boot["volume_id"][:20] == root_volume[:20]
    assert (boot["source_type"], boot["destination_type"], boot["boot_index"],
            boot["image_id"], boot["delete_on_termination"]) == ("image", "volume", 0, image_id, 1)
    assert json.loads(boot["connection_info"])["driver_volume_type"] == "iscsi"
    eph, swap, blank = by_dev["/dev/vdb"], by_dev["/dev/vdc"], by_dev["/dev/vdd"]
    assert (eph["destination_type"], eph["guest_format"], eph["volume_id"]) == ("local", "ext4", None)
    assert (swap["destination_type"], swap["guest_format"]) == ("local", "swap")
    assert (blank["source_type"], blank["delete_on_termination"]) == ("blank", 0)

    boot_volume, blank_volume = site.volume(boot["volume_id"]), site.volume(blank["volume_id"])
    assert (boot_volume["status"], boot_volume["bootable"]) == ("in-use", 1)
    assert (blank_volume["status"], blank_volume["bootable"]) == ("in-use", 0)

    running, xml = domain_xml(name)
    assert running
    for row in (boot, blank):
        assert "<serial>%s</serial>" % row["volume_id"] in xml
    # Local disks: qcow2 overlays on _base files made by mkfs.ext4 and mkswap.
    base = os.path.join(site.instances, "_base")
    ephemeral_base = glob.glob(os.path.join(base, "ephemeral_1_*"))[0]
    assert file_magic(ephemeral_base, 0x438, 2) == b"\x53\xef"           # ext4 superblock
    assert file_magic(os.path.join(base, "swap_16"), 4086, 10) == b"SWAPSPACE2"
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json",
                                      os.path.join(site.instances, inst, "disk.eph0")],
                                     capture_output=True, text=True, check=True).stdout)
    assert (info["format"], info["backing-filename"]) == ("qcow2", ephemeral_base)

    again = site.boot(server)
    assert not again.failed and again.changed == 0, again.stdout[-3000:]

    deleted = site.delete(name)
    assert not deleted.failed, deleted.messages() or deleted.stdout[-3000:]
    assert domain_xml(name) == (None, None)
    assert site.bdms(inst) == []
    assert site.volume(boot["volume_id"])["status"] == "deleted"
    assert not os.path.exists(os.path.join(site.backing, "volume-" + boot["volume_id"]))
    assert site.volume(blank["volume_id"])["status"] == "available"
    assert os.path.exists(os.path.join(site.backing, "volume-" + blank["volume_id"]))
    assert not os.path.exists(os.path.join(site.instances, inst))
    assert os.path.exists(ephemeral_base)                                  # the cache stays
    assert not glob.glob(os.path.join(site.instances, "*", "console.log"))
    assert site.delete(name).changed == 0


def test_local_image_overlays_share_one_cached_base_with_snapshot_and_unshelved_volumes(site):
    from support.ansible_run import run_module
    marker = "VBTEST-LOCAL-%s" % uuid.uuid4().hex[:8]
    image_id = site.image(marker)
    # The snapshot source is taken with volume_snapshot (Cinder create_snapshot) from a
    # volume holding the data; the volume is then written over, so the booted copy can
    # only have come from the snapshot.
    source, snapshot_id = str(uuid.uuid4()), str(uuid.uuid4())
    assert not run_module("volume", {"volume_id": source, "size_mib": 8,
                                     "backing_dir": site.backing})["failed"]
    assert not run_module("volume_state", {"db_path": site.db, "volume_id": source, "size": 1})["failed"]
    source_file = os.path.join(site.backing, "volume-" + source)
    with open(source_file, "r+b") as handle:
        handle.write(b"SNAPSHOT-DATA")
    taken = run_module("volume_snapshot", {"db_path": site.db, "snapshot_id": snapshot_id,
                                           "volume_id": source, "backing_dir": site.backing})
    assert not taken["failed"] and taken["snapshot"]["status"] == "available", taken.get("msg")
    with open(source_file, "r+b") as handle:
        handle.write(b"VOLUME-LATER!")

    first = site.server([{"source_type": "snapshot", "uuid": snapshot_id,
                          "destination_type": "volume", "delete_on_termination": True}],
                        image=image_id)
    # Shelved: a volume reserved for the instance before it has a domain (the attach role
    # does this for a shelved_offloaded instance); booting wires it in.
    shelved = str(uuid.uuid4())
    inst = instance_uuid(first["name"])
    store = {"db_path": site.db}
    assert not run_module("volume", {"volume_id": shelved, "size_mib": 8,
                                     "backing_dir": site.backing})["failed"]
    assert not run_module("volume_state", dict(store, volume_id=shelved, size=1))["failed"]
    reserved = run_module("bdm_record", dict(store, volume_id=shelved, instance_uuid=inst,
                                             state="reserved", device_name="/dev/vdb"))
    assert reserved["device_name"] == "/dev/vdb"
    assert not run_module("volume_state", dict(store, volume_id=shelved, instance_uuid=inst,
                                               state="reserved"))["failed"]

    result = site.boot(first)
    assert not result.failed, result.messages() or result.stdout[-3000:]
    console = Console(os.path.join(site.instances, inst, "console.log"))
    console.wait_for("VBTEST-MARKER %s" % marker, timeout=120)   # root = the local overlay
    console.wait_for(r"VBTEST-DISK vd[b-z] serial=%s" % shelved[:20], timeout=60)
    console.wait_for(r"VBTEST-DISK vd[b-z] serial=\S+ data=SNAPSHOT-DATA", timeout=60)

    base = os.path.join(site.instances, "_base")
    cached = [p for p in os.listdir(base) if len(p) == 40]
    assert len(cached) == 1
    cached_mtime = os.stat(os.path.join(base, cached[0])).st_mtime_ns
    rows = dict((r["device_name"], r) for r in site.bdms(inst))
    assert rows["/dev/vda"]["destination_type"] == "local"
    assert rows["/dev/vda"]["image_id"] == image_id
    assert rows["/dev/vdb"]["volume_id"] == shelved and rows["/dev/vdb"]["connection_info"]
    assert rows["/dev/vdc"]["snapshot_id"] == snapshot_id
    assert site.volume(shelved)["status"] == "in-use"

    second = site.server([], image=image_id, boot_kernel=False)
    second_result = site.boot(second)
    assert not second_result.failed, second_result.messages()
    made = second_result.task_results("Make the local disks")[0]["results"][0]
    assert made["changed"] and not made["base_created"]
    assert os.stat(os.path.join(base, cached[0])).st_mtime_ns == cached_mtime
    assert len([p for p in os.listdir(base) if len(p) == 40]) == 1

    for server in (first, second):
        assert not site.delete(server["name"]).failed
    assert site.volume(shelved)["status"] == "available"        # not delete_on_termination
    assert site.volume(rows["/dev/vdc"]["volume_id"])["status"] == "deleted"


def test_check_mode_changes_nothing(site):
    image_id = site.image("VBTEST-CHECK")
    server = site.server([
        {"boot_index": 0, "uuid": image_id, "source_type": "image", "destination_type": "volume",
         "volume_size": 1},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 8}])
    result = site.boot(server, check=True)
    assert not result.failed, result.messages() or result.stdout[-3000:]
    assert result.changed > 0
    assert domain_xml(server["name"]) == (None, None)
    assert not glob.glob(os.path.join(site.backing, "volume-*"))
    assert not glob.glob(os.path.join(site.instances, "*", "disk*"))
    assert not glob.glob(os.path.join(site.instances, "_base", "*"))
    assert site.rows("select * from block_device_mapping") == []
    assert site.rows("select * from volumes") == []
