"""The server request and disk mapping rules of boot from volume (pure)."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import domain_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import local_disks
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    DevicePathInUse, InvalidBDMBootSequence, InvalidBDMFormat, InvalidInput, ValidationError,
    InvalidBDM, InvalidBDMLocalsLimit)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import (
    new_volume_id, plan_disks, validate_request)

IMAGE = "dbbec6ed-017e-45b0-845d-45c73c718ac6"
VOLUME = "9a53945a-b745-493e-8710-0f2c92e1fb5f"
SNAP = "56494430-5460-4582-a3d0-e22cb4ef0cd2"


def request(**extra):
    base = {"name": "web-1", "memory": 256, "vcpus": 1}
    base.update(extra)
    return base


def test_uuid_is_derived_from_the_name_and_stable():
    one = validate_request(request(image=IMAGE))
    assert one["uuid"] == validate_request(request(image=IMAGE))["uuid"]
    assert one["uuid"] != validate_request(request(image=IMAGE, name="web-2"))["uuid"]
    assert validate_request(request(image=IMAGE, uuid=VOLUME.upper()))["uuid"] == VOLUME


def test_nothing_to_boot_from_is_a_boot_sequence_error():
    with pytest.raises(InvalidBDMBootSequence):
        validate_request(request())


@pytest.mark.parametrize("bad, text", [
    ({"memory": 0}, "memory. Value: 0. 0 is less than the minimum of 1"),
    ({"vcpus": "x"}, "vcpus. Value: x."),
    ({"name": " padded"}, "field/attribute name"),
    ({"flavorRef": "1"}, "'flavorRef' was unexpected"),
    ({"networks": "auto"}, "'auto' needs Neutron"),
    ({"networks": [{"type": "bridge"}]}, "networks[0]"),
    ({"image": "not-a-uuid"}, "imageRef. Value: not-a-uuid"),
])
def test_bad_requests_fail_with_nova_wording(bad, text):
    with pytest.raises(ValidationError) as err:
        validate_request(request(**bad))
    assert text in err.value.msg


def test_memory_is_required():
    body = request()
    del body["memory"]
    with pytest.raises(ValidationError, match="'memory' is a required property"):
        validate_request(body)


def test_bdm_errors_come_from_the_bdm_v2_rules():
    with pytest.raises(InvalidBDMBootSequence):
        validate_request(request(block_device_mapping_v2=[
            {"source_type": "volume", "uuid": VOLUME, "destination_type": "volume", "boot_index": 1}]))
    with pytest.raises(InvalidBDM, match="need to have a non-zero size"):
        validate_request(request(block_device_mapping_v2=[
            {"source_type": "image", "uuid": IMAGE, "destination_type": "volume", "boot_index": 0}]))
    with pytest.raises(InvalidBDMFormat, match="Mapping image to local is not supported"):
        validate_request(request(block_device_mapping_v2=[
            {"source_type": "image", "uuid": IMAGE, "destination_type": "local", "boot_index": 0}]))


def full():
    return validate_request(request(image=IMAGE, block_device_mapping_v2=[
        {"source_type": "volume", "uuid": VOLUME, "destination_type": "volume", "boot_index": 1},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 64},
        {"source_type": "snapshot", "uuid": SNAP, "destination_type": "volume"},
        {"source_type": "blank", "destination_type": "local", "volume_size": 1, "guest_format": "ext4"},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True},
    ]))


def test_nova_disk_mapping_order_and_local_file_names():
    plan = plan_disks(full(), instances_path="/i", images_dir="/img")
    by_kind = dict((d["kind"], d) for d in plan["disks"])
    assert by_kind["local_image"]["device_name"] == "/dev/vda"
    assert by_kind["local_image"]["path"] == "/i/%s/disk" % full()["uuid"]
    assert by_kind["local_image"]["image_path"] == "/img/" + IMAGE
    assert by_kind["ephemeral"]["device_name"] == "/dev/vdb"
    assert by_kind["ephemeral"]["path"].endswith("/disk.eph0")
    assert by_kind["swap"]["device_name"] == "/dev/vdc"
    assert by_kind["swap"]["path"].endswith("/disk.swap")
    assert by_kind["volume"]["device_name"] == "/dev/vdd"
    assert by_kind["volume"]["volume_id"] == VOLUME
    assert by_kind["snapshot"]["device_name"] == "/dev/vde"
    assert by_kind["blank"]["device_name"] == "/dev/vdf"
    assert by_kind["blank"]["delete_on_termination"] is True
    assert plan["unshelve"] == []


def test_new_volume_ids_are_stable_and_distinct():
    one = plan_disks(full())["disks"]
    two = plan_disks(full())["disks"]
    ids = [d.get("volume_id") for d in one]
    assert ids == [d.get("volume_id") for d in two]
    made = [d["volume_id"] for d in one if d["kind"] in ("snapshot", "blank")]
    assert len(set(made)) == 2 and VOLUME not in made
    assert new_volume_id(full()["uuid"], 0) != new_volume_id(full()["uuid"], 1)


def test_boot_volume_is_vda_and_reserved_rows_are_unshelved_around_it():
    server = validate_request(request(block_device_mapping_v2=[
        {"source_type": "volume", "uuid": VOLUME, "destination_type": "volume", "boot_index": 0},
        {"source_type": "blank", "destination_type": "volume", "volume_size": 1}]))
    rows = [{"volume_id": SNAP, "device_name": "/dev/vdb", "destination_type": "volume"},
            {"volume_id": VOLUME, "device_name": "/dev/vda", "destination_type": "volume"}]
    plan = plan_disks(server, rows)
    names = [d["device_name"] for d in plan["disks"]]
    assert names == ["/dev/vda", "/dev/vdc"]
    assert [r["volume_id"] for r in plan["unshelve"]] == [SNAP]


def test_requested_device_name_taken_by_a_reserved_row_is_refused():
    server = validate_request(request(block_device_mapping_v2=[
        {"source_type": "volume", "uuid": VOLUME, "destination_type": "volume", "boot_index": 0,
         "device_name": "vdb"}]))
    with pytest.raises(DevicePathInUse):
        plan_disks(server, [{"volume_id": SNAP, "device_name": "/dev/vdb"}])


def test_local_disk_rules():
    assert local_disks.image_cache_name(IMAGE) == __import__("hashlib").sha1(IMAGE.encode()).hexdigest()
    assert local_disks.base_name("swap", size_bytes=64 << 20) == "swap_64"
    assert local_disks.base_name("ephemeral", size_bytes=1 << 30, fmt="ext4").startswith("ephemeral_1_")
    assert local_disks.size_bytes("swap", 64, None) == 64 << 20
    assert local_disks.size_bytes("ephemeral", 2, None) == 2 << 30
    assert local_disks.guest_format("ephemeral", None) == "ext4"
    with pytest.raises(InvalidInput):
        local_disks.guest_format("ephemeral", "ntfs")
    with pytest.raises(InvalidInput, match="not a qcow2 overlay"):
        local_disks.check_existing("/x", {"format": "raw"}, "/b")


def test_domain_config_boot_order_and_checks():
    dom = domain_config.build("n", VOLUME, 256, 1, disks=[
        {"path": "/d", "device_name": "/dev/vda", "disk_bus": "virtio", "boot_index": 0}])
    assert dom["memory_kib"] == 256 * 1024 and dom["disks"][0]["dev"] == "vda"
    with pytest.raises(InvalidInput, match="needs a device_name on its bus scsi"):
        domain_config.build("n", VOLUME, 256, 1, disks=[
            {"path": "/d", "device_name": "/dev/vda", "disk_bus": "scsi"}])
    with pytest.raises(InvalidInput, match="initrd needs a kernel"):
        domain_config.build("n", VOLUME, 256, 1, initrd="/i")


def test_flavor_defined_ephemeral_and_swap_as_nova_api_adds_them():
    """nova/compute/api.py API._get_flavor_defined_bdms with block_device.create_blank_bdm:
    the flavor's ephemeral and swap become blank local mappings when the request has none."""
    server = validate_request(request(image=IMAGE, flavor={"ephemeral_gb": 2, "swap": 128}))
    added = [b for b in server["block_device_mapping_v2"] if b.get("flavor_defined")]
    assert [(b["kind"], b["volume_size"], b["guest_format"], b["boot_index"],
             b["delete_on_termination"]) for b in added] == [
        ("ephemeral", 2, None, -1, True), ("swap", 128, "swap", -1, True)]
    by_kind = dict((d["kind"], d) for d in plan_disks(server, instances_path="/i")["disks"])
    assert by_kind["ephemeral"]["device_name"] == "/dev/vdb"
    assert by_kind["ephemeral"]["path"].endswith("/disk.eph0")
    assert by_kind["swap"]["device_name"] == "/dev/vdc"
    assert by_kind["swap"]["path"].endswith("/disk.swap")
    # the request's own swap covers the flavor's: only the ephemeral is added
    own = validate_request(request(image=IMAGE, flavor={"ephemeral_gb": 1, "swap": 128},
                                   block_device_mapping_v2=[
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap",
         "volume_size": 64}]))
    kinds = [b["kind"] for b in own["block_device_mapping_v2"]]
    assert kinds.count("swap") == 1 and kinds.count("ephemeral") == 1
    # a flavor without ephemeral/swap adds nothing; the added ones count as local devices
    assert not [b for b in validate_request(request(image=IMAGE, flavor={"ephemeral_gb": 0,
                                                                         "swap": 0}))
                ["block_device_mapping_v2"] if b.get("flavor_defined")]
    with pytest.raises(InvalidBDMLocalsLimit):
        validate_request(request(image=IMAGE, flavor={"ephemeral_gb": 1, "swap": 1},
                                 max_local_block_devices=2))
