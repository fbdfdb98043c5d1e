"""Nova's block_device_mapping_v2 checks (BlockDeviceDict.from_api, compute API _validate_bdm)."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm_v2 import validate_bdm_v2
from ansible_collections.virtblock.volumes.plugins.module_utils import errors

IMG = "ac408821-c95a-448f-9292-73986c790911"
VOL = "9a53945a-b745-493e-8710-0f2c92e1fb5f"
SNAP = "56494430-5460-4582-a3d0-e22cb4ef0cd2"


def boot(source, **kw):
    item = {"boot_index": 0, "source_type": source, "destination_type": "volume"}
    if source != "blank":
        item["uuid"] = {"image": IMG, "volume": VOL, "snapshot": SNAP}[source]
    item.update(kw)
    return item


def test_seed_example_image_to_volume():
    out = validate_bdm_v2([{"boot_index": "0", "uuid": IMG, "source_type": "image",
                            "volume_size": "25", "destination_type": "volume",
                            "delete_on_termination": True, "tag": "disk1", "disk_bus": "scsi",
                            "guest_format": "ext2"}])
    assert len(out) == 1
    bdm = out[0]
    assert bdm["kind"] == "image"
    assert bdm["image_id"] == IMG and bdm["volume_size"] == 25 and bdm["boot_index"] == 0
    assert "uuid" not in bdm and bdm["volume_id"] is None


@pytest.mark.parametrize("item,kind", [
    (boot("volume"), "volume"),
    (boot("snapshot"), "snapshot"),
    (boot("image", volume_size=10), "image"),
    (boot("blank", volume_size=1), "blank"),
])
def test_the_volume_kinds(item, kind):
    assert validate_bdm_v2([item])[0]["kind"] == kind


def test_local_kinds_with_image_root_added():
    out = validate_bdm_v2([
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap",
         "volume_size": 512, "boot_index": -1},
        {"source_type": "blank", "destination_type": "local", "volume_size": 1},
    ], image_ref=IMG, flavor={"ephemeral_gb": 1, "swap": 512})
    assert [b["kind"] for b in out] == ["local_image", "swap", "ephemeral"]
    assert out[0]["image_id"] == IMG and out[0]["boot_index"] == 0
    assert out[0]["delete_on_termination"] is True


def test_image_to_local_only_as_image_root():
    out = validate_bdm_v2([{"source_type": "image", "destination_type": "local", "uuid": IMG,
                            "boot_index": 0}], image_ref=IMG)
    assert out[0]["kind"] == "local_image"
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([{"source_type": "image", "destination_type": "local", "uuid": IMG,
                          "boot_index": 0}])
    assert str(err.value) == "Block Device Mapping is Invalid: Mapping image to local is not supported."


@pytest.mark.parametrize("source", ["volume", "snapshot"])
def test_volume_or_snapshot_to_local_refused(source):
    with pytest.raises(errors.InvalidBDMFormat):
        validate_bdm_v2([boot(source, destination_type="local")])


def test_blank_with_uuid_and_missing_uuid():
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([boot("blank", volume_size=1, uuid=VOL)])
    assert str(err.value).endswith("Invalid device UUID.")
    item = boot("volume")
    del item["uuid"]
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([item])
    assert str(err.value).endswith("Missing device UUID.")


@pytest.mark.parametrize("indexes", [[1], [0, 2], [0, 0], [-1], [None]])
def test_boot_sequence(indexes):
    items = [dict(boot("blank", volume_size=1), boot_index=i) for i in indexes]
    with pytest.raises(errors.InvalidBDMBootSequence) as err:
        validate_bdm_v2(items)
    assert "Boot sequence for the instance" in str(err.value)


def test_boot_sequence_ok_and_order():
    items = [dict(boot("blank", volume_size=1), boot_index=i) for i in (2, None, 0, 1, -1)]
    out = validate_bdm_v2(items)
    assert [b["boot_index"] for b in out] == [0, 1, 2, None, -1]


def test_sizes_needed():
    with pytest.raises(errors.InvalidBDM) as err:
        validate_bdm_v2([boot("image")])
    assert "need to have a non-zero size" in str(err.value)
    with pytest.raises(errors.InvalidBDM) as err:
        validate_bdm_v2([boot("blank")])
    assert "Blank volumes" in str(err.value)


def test_one_swap_and_sizes_against_flavor():
    swap = {"source_type": "blank", "destination_type": "local", "guest_format": "swap",
            "volume_size": 1}
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([swap, dict(swap)], image_ref=IMG)
    assert str(err.value).endswith("More than one swap drive requested.")
    with pytest.raises(errors.InvalidBDMSwapSize):
        validate_bdm_v2([dict(swap, volume_size=1024)], image_ref=IMG,
                        flavor={"swap": 512, "ephemeral_gb": 0})
    eph = {"source_type": "blank", "destination_type": "local", "volume_size": 5}
    with pytest.raises(errors.InvalidBDMEphemeralSize):
        validate_bdm_v2([eph], image_ref=IMG, flavor={"swap": 0, "ephemeral_gb": 4})


def test_volume_type_rules():
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([boot("volume", volume_type="ssd")])
    assert "Specifying volume type to existing volume is not supported." in str(err.value)
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([{"source_type": "blank", "destination_type": "local", "volume_size": 1,
                          "volume_type": "ssd"}], image_ref=IMG)
    assert "destination_type=local" in str(err.value)
    assert validate_bdm_v2([boot("snapshot", volume_type="ssd")])[0]["volume_type"] == "ssd"


@pytest.mark.parametrize("item,field", [
    (boot("volume", source_type="disk"), "source_type"),
    (boot("volume", destination_type="remote"), "destination_type"),
    (boot("volume", uuid="not-a-uuid"), "uuid"),
    (boot("blank", volume_size="big"), "volume_size"),
    (boot("blank", volume_size=0), "volume_size"),
    (boot("volume", boot_index="first"), "boot_index"),
    (boot("volume", tag="a/b"), "tag"),
    (boot("volume", bogus=1), "Additional properties"),
])
def test_schema_errors(item, field):
    with pytest.raises(errors.ValidationError) as err:
        validate_bdm_v2([item])
    assert str(err.value).startswith("Invalid input for field/attribute")
    assert field in str(err.value)


def test_device_name_and_disk_bus():
    with pytest.raises(errors.InvalidBDMFormat) as err:
        validate_bdm_v2([boot("volume", device_name="vd a")])
    assert str(err.value).endswith("Device name contains spaces.")
    assert validate_bdm_v2([boot("volume", device_name="vda")])[0]["device_name"] == "/dev/vda"
    with pytest.raises(errors.InvalidBDMDiskBus):
        validate_bdm_v2([boot("volume", disk_bus="floppy9")])


def test_locals_limit():
    eph = {"source_type": "blank", "destination_type": "local", "volume_size": 1}
    with pytest.raises(errors.InvalidBDMLocalsLimit):
        validate_bdm_v2([dict(eph) for dummy in range(3)], image_ref=IMG)
    assert len(validate_bdm_v2([dict(eph) for dummy in range(3)], image_ref=IMG,
                               max_local_block_devices=-1)) == 4


def test_no_device_dropped_and_bad_image_ref():
    out = validate_bdm_v2([boot("volume"), {"no_device": True, "device_name": "vdb"}])
    assert len(out) == 1
    with pytest.raises(errors.ValidationError):
        validate_bdm_v2([], image_ref="cirros")
