"""plugin_utils/payload_cache.py on its own: which modules it serves, which directories it
trusts, how a file is published and which keys are dropped (the playbook runs are in
tests/integration/test_payload_cache.py)."""
import os

import pytest

from ansible_collections.virtblock.volumes.plugins.plugin_utils import payload_cache

FQN = payload_cache.PAYLOAD_PREFIX


@pytest.mark.parametrize("name", [
    "ansible.builtin.ping", "virtblock.volumes.no_such_module", "other.volumes.bdm_record",
    "bdm_record", "virtblock.volumes.../../modules/bdm_record", "virtblock.volumes.x/../bdm_record",
    "virtblock.volumes.bdm_record/", ""])
def test_only_our_modules_are_served(name, monkeypatch, tmp_path):
    monkeypatch.setattr(payload_cache.C, "DEFAULT_LOCAL_TMP", str(tmp_path / "ansible-local-1"))
    assert payload_cache.PayloadCache.for_module(name) is None


def test_our_module_is_served_and_the_switch_turns_it_off(monkeypatch, tmp_path):
    monkeypatch.setattr(payload_cache.C, "DEFAULT_LOCAL_TMP", str(tmp_path / "ansible-local-1"))
    cache = payload_cache.PayloadCache.for_module("virtblock.volumes.bdm_record")
    assert cache is not None and cache.prefix == FQN + "bdm_record-"
    assert oct(os.stat(str(tmp_path / "virtblock-payloads")).st_mode & 0o777) == "0o700"
    for off in ("0", "false", "no", "off", "OFF"):
        monkeypatch.setenv("VIRTBLOCK_PAYLOAD_CACHE", off)
        assert payload_cache.PayloadCache.for_module("virtblock.volumes.bdm_record") is None


def test_a_directory_others_could_write_or_a_link_is_not_trusted(tmp_path):
    mine = tmp_path / "mine"
    assert payload_cache._private_dir(str(mine))
    open_dir = tmp_path / "open"
    open_dir.mkdir()
    os.chmod(str(open_dir), 0o770)
    assert not payload_cache._private_dir(str(open_dir))
    link = tmp_path / "link"
    link.symlink_to(mine)
    assert not payload_cache._private_dir(str(link))
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert not payload_cache._private_dir(str(a_file))


def test_publish_copies_when_it_cannot_link_and_leaves_no_part(monkeypatch, tmp_path):
    source = tmp_path / "source"
    source.write_bytes(b"payload")
    os.chmod(str(source), 0o644)

    def no_link(*args):
        raise OSError(18, "Invalid cross-device link")
    monkeypatch.setattr(payload_cache.os, "link", no_link)
    target = tmp_path / "target"
    payload_cache._publish(str(source), str(target))
    assert target.read_bytes() == b"payload"
    assert oct(os.stat(str(target)).st_mode & 0o777) == "0o600"
    assert sorted(os.listdir(str(tmp_path))) == ["source", "target"]


def test_publish_that_fails_leaves_nothing(tmp_path):
    payload_cache._publish(str(tmp_path / "missing"), str(tmp_path / "target"))
    assert os.listdir(str(tmp_path)) == []


def test_names_skip_temporaries_and_other_modules(tmp_path):
    for name in ("bdm_record-ZIP_DEFLATED-none", "bdm_record-ZIP_DEFLATED-none.lock",
                 "bdm_record-ZIP_DEFLATED-none-part", "bdm_record-ZIP_DEFLATED-none.vb-12",
                 "bdm_record_x-ZIP_DEFLATED-none", "bdm_info-ZIP_DEFLATED-none"):
        (tmp_path / (FQN + name)).write_text("")
    cache = payload_cache.PayloadCache("bdm_record", str(tmp_path), str(tmp_path), "k")
    assert cache._names(str(tmp_path)) == [FQN + "bdm_record-ZIP_DEFLATED-none"]


def test_the_four_most_recently_used_keys_stay(tmp_path):
    root = tmp_path / "virtblock-payloads"
    root.mkdir()
    for age in range(6):
        key = root / ("key%d" % age)
        key.mkdir()
        stamp = os.path.getmtime(str(key)) - age * 3600
        os.utime(str(key), (stamp, stamp))
    cache = payload_cache.PayloadCache("bdm_record", str(tmp_path / "run"), str(root), "key5")
    cache._drop_old_keys()
    # the one in use (oldest by time, but in use) and the three newest others
    assert sorted(os.listdir(str(root))) == ["key0", "key1", "key2", "key5"]
