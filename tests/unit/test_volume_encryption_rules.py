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
    ("file", 64 * MiB, "image", "created blank"),
    ("file", 64 * MiB, "snapshot", "created blank"),
    ("file", 2 * MiB, None, "at least 4 MiB"),
])
def test_create_refusals(backend, size, source, message):
    with pytest.raises(InvalidInput, match=message):
        rules.check_create(backend, size, source)


def test_a_blank_file_volume_of_enough_bytes_is_accepted():
    assert rules.check_create("file", 4 * MiB, None) is None


def test_an_existing_plain_volume_is_never_reformatted():
    with pytest.raises(InvalidInput, match="exists and is not encrypted"):
        rules.check_existing(VID, True, {"encrypted": False})
    assert rules.check_existing(VID, True, {"encrypted": True}) is None
    assert rules.check_existing(VID, False, {"encrypted": True}) is None


def test_the_guest_sees_the_volume_less_its_header_as_nova_resizes_it():
    assert rules.payload_bytes(64 * MiB, 2068480) == 64 * MiB - 2068480
