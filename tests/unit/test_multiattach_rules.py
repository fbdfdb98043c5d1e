"""Multiattach's compute-side rules: libvirt's raw-only shareable disk, Nova's cache none
for shareable disks, Nova's connection_info flag and _should_disconnect_target."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidVolume
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import multiattach
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm import remove_export

from test_compute_rules import VOL, iscsi, render

I1, I2, I3 = ("11111111-0000-4000-8000-00000000000%d" % n for n in (1, 2, 3))


def test_only_raw_is_shareable_with_libvirts_words():
    multiattach.check_shareable_format(VOL, "raw")
    multiattach.check_shareable_format(VOL, "luks")     # raw to libvirt, with <encryption>
    for fmt in ("qcow2", "vmdk", None):
        with pytest.raises(InvalidVolume) as err:
            multiattach.check_shareable_format(VOL, fmt)
        assert "shared access for disk requires use of supported storage format" in str(err.value)
        assert VOL in str(err.value) and str(fmt or "unknown") in str(err.value)


def test_a_shareable_disk_keeps_cache_none_without_o_direct():
    local = {"driver_volume_type": "local", "data": {"device_path": "/tmp/x.img"}}
    text, dummy = disk_config.finalize(render(dict(local, multiattach=True)), "vdb", VOL,
                                       direct_io=False, source_is_file=True)
    assert "<shareable />" in text and 'cache="none"' in text
    # what a non-shareable disk gets on the same source (Nova's fallback)
    text, dummy = disk_config.finalize(render(local), "vdb", VOL, direct_io=False, source_is_file=True)
    assert "shareable" not in text and 'cache="writethrough"' in text


def test_a_template_asking_another_cache_for_a_shareable_disk_gets_none():
    xml = render(iscsi(), iscsi_initiator="qemu", multiattach=True).replace(
        'cache="none"', 'cache="writeback"')
    text, dummy = disk_config.finalize(xml, "vdb", VOL)
    assert 'cache="none"' in text


def test_build_makes_a_multiattach_disk_shareable_with_cache_none():
    disk = disk_config.build(iscsi(), VOL, "virtio", iscsi_initiator="qemu", multiattach=True,
                             cache="writeback")["disk"]
    assert disk["shareable"] and disk["driver"]["cache"] == "none"


def test_the_volume_record_puts_multiattach_in_connection_info_as_nova_does():
    export = {"connection_info": iscsi()}
    assert host_connection.for_libvirt([export], {"multiattach": True})["multiattach"] is True
    assert "multiattach" not in host_connection.for_libvirt([export], {"multiattach": False})
    assert "multiattach" not in host_connection.for_libvirt([export], None)
    assert "multiattach" not in export["connection_info"]      # the step's result is untouched


def test_the_host_connection_stays_while_another_attachment_is_on_the_host():
    both_here = [{"instance_uuid": I1, "attached_host": "c1"}, {"instance_uuid": I2, "attached_host": "c1"}]
    assert not multiattach.should_disconnect_target(True, both_here, I1, "c1")
    other_host = [{"instance_uuid": I1, "attached_host": "c1"}, {"instance_uuid": I2, "attached_host": "c2"}]
    assert multiattach.should_disconnect_target(True, other_host, I1, "c1")
    assert multiattach.should_disconnect_target(True, both_here[:1], I1, "c1")
    assert multiattach.should_disconnect_target(False, both_here, I1, "c1")


def test_the_export_goes_with_the_last_attachment_only():
    ci = iscsi()
    assert not remove_export(True, ci)
    assert remove_export(False, ci)
    assert not remove_export(False, {"driver_volume_type": "rbd"})
