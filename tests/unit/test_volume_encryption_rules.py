"""Pure rules of an encrypted (LUKS) volume: the magic, where its key is kept, the refusals."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_encryption as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

VID = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
MiB = 1024 * 1024


def test_luks_magic_is_recognised_and_plain_bytes_are_not():
    assert rules.is_luks(b"LUKS\xba\xbe\x00\x01rest")
    assert not rules.is_luks(b"\x00" * 16)
    assert not rules.is_luks(b"LUKS")          # too short: a file smaller than the magic


def test_key_file_is_named_after_the_volume_in_the_keys_dir_beside_the_volumes():
    keys = rules.default_keys_dir("/srv/backing")
    assert keys == "/srv/backing/keys"
    assert rules.key_file(keys, VID) == "/srv/backing/keys/volume-%s.key" % VID


@pytest.mark.parametrize("backend, size, source, message", [
    ("lvm", 64 * MiB, None, "file backend only"),
    ("rbd", 64 * MiB, None, "file backend only"),
    ("file", 64 * MiB, "volume", "created blank or from an image"),
    ("file", 64 * MiB, "snapshot", "created blank or from an image"),
    ("file", 2 * MiB, None, "at least 4 MiB"),
])
def test_create_refusals(backend, size, source, message):
    with pytest.raises(InvalidInput, match=message):
        rules.check_create(backend, size, source)


def test_a_blank_file_volume_of_enough_bytes_is_accepted():
    assert rules.check_create("file", 4 * MiB, None) is None
    assert rules.check_create("file", 4 * MiB, "image") is None


def test_an_image_and_its_luks_header_must_fit_in_the_volume():
    from ansible_collections.virtblock.volumes.plugins.module_utils.errors import ImageUnacceptable
    GiB = 1024 * MiB
    assert rules.creation_size(None, GiB, "img") == 2 * GiB          # the header does not fit in 1
    assert rules.creation_size(None, 16 * MiB, "img") == GiB
    assert rules.creation_size(64 * MiB, 16 * MiB, "img") == 64 * MiB
    with pytest.raises(ImageUnacceptable, match="doesn't fit"):
        rules.creation_size(16 * MiB, 16 * MiB, "img")


def test_an_existing_plain_volume_is_never_reformatted():
    with pytest.raises(InvalidInput, match="exists and is not encrypted"):
        rules.check_existing(VID, True, {"encrypted": False})
    assert rules.check_existing(VID, True, {"encrypted": True}) is None
    assert rules.check_existing(VID, False, {"encrypted": True}) is None


def test_the_guest_sees_the_volume_less_its_header_as_nova_resizes_it():
    assert rules.payload_bytes(64 * MiB, 2068480) == 64 * MiB - 2068480


def encrypted_info(encrypted=True):
    return {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-" + VID, "target_portal": "127.0.0.1:3260",
        "target_lun": 1, "volume_id": VID, "access_mode": "rw", "encrypted": encrypted}}


def test_an_encrypted_volume_gets_nova_s_luks_encryption_element():
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
    disk = disk_config.build(encrypted_info(), serial=VID, bus="virtio", iscsi_initiator="qemu")["disk"]
    assert disk["encryption"] == {"format": "luks", "secret_type": "passphrase",
                                  "uuid": disk_config.secret_uuid("volume", VID)}
    assert disk_config.encryption_secret_usage(encrypted_info()["data"], VID) == ("volume", VID)
    plain = disk_config.build(encrypted_info(False), serial=VID, bus="virtio", iscsi_initiator="qemu")
    assert plain["disk"]["encryption"] is None


def test_finalize_points_the_encryption_at_the_host_s_secret():
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
    rendered = ('<disk type="network" device="disk"><driver name="qemu" type="raw" cache="none"/>'
                '<source protocol="iscsi" name="iqn.x/1"><host name="127.0.0.1" port="3260"/></source>'
                '<encryption format="luks"><secret type="passphrase" uuid="%s"/></encryption>'
                '<target dev="" bus="virtio"/><serial>%s</serial></disk>'
                % (disk_config.secret_uuid("volume", VID), VID))
    found = "0b1e4d8a-7d0e-4e5a-9a1c-3f2b6c7d8e9f"
    xml, _desc = disk_config.finalize(rendered, "vdb", VID, encryption_secret=found)
    assert disk_config.encryption_secret_of(xml) == found
    assert disk_config.secret_of(xml) is None        # not an <auth> secret
