"""Nova's device naming and disk config rules (pure functions)."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config, qos
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    DevicePathInUse, InvalidDevicePath, InvalidInput, VolumeDriverNotFound)

VOL = "3b9fdb6c-200e-494d-aa71-f47c70e87d7e"
IQN = "iqn.2010-10.org.openstack:volume-" + VOL


def iscsi(**data):
    base = {"target_iqn": IQN, "target_portal": "127.0.0.3:3260", "target_lun": 1,
            "volume_id": VOL, "access_mode": "rw", "auth_method": "CHAP",
            "auth_username": "user0123", "auth_password": "s3cretPassw0rd"}
    base.update(data)
    return {"driver_volume_type": "iscsi", "data": base}


@pytest.mark.parametrize("index,letters", [(0, "a"), (1, "b"), (25, "z"), (26, "aa"),
                                           (27, "ab"), (51, "az"), (52, "ba"), (701, "zz")])
def test_generate_device_letter_matches_nova(index, letters):
    assert device_names.index_to_letters(index) == letters
    assert device_names.letters_to_index(letters) == index


def test_without_a_requested_device_choose_asks_the_records_rule_not_its_own():
    # One naming policy: bdm_record's next_device_name, with the domain's disks in use.
    assert device_names.choose(None, "virtio", [], VOL) == ("vda", "virtio")
    disks = [{"dev": d, "serial": None} for d in ("vda", "vdb", "vdd")]
    assert device_names.choose(None, "virtio", disks, VOL) == ("vdc", "virtio")
    assert device_names.choose(None, "scsi", [{"dev": "vdb"}], VOL) == ("sda", "scsi")
    assert not hasattr(device_names, "next_free")


@pytest.mark.parametrize("device", ["/dev/VDA", "vdb", "/dev/nvme0n1", "/dev/", "/dev/vd-b"])
def test_invalid_device_paths_fail_with_nova_wording(device):
    with pytest.raises(InvalidDevicePath) as err:
        device_names.validate_requested(device)
    assert str(err.value).startswith("The supplied device path (%s) is invalid." % device)


def test_requested_device_gives_its_bus_and_a_mismatched_prefix_is_kept():
    """nova/virt/libvirt/blockinfo.py get_info_from_bdm keeps the BDM's device name with
    its disk_bus; the prefix gives the bus only when none is set (get_disk_bus_for_disk_dev)."""
    assert device_names.validate_requested("/dev/sdc") == ("sdc", "scsi")
    assert device_names.validate_requested("/dev/vdc", "virtio") == ("vdc", "virtio")
    assert device_names.validate_requested("/dev/sdc", "virtio") == ("sdc", "virtio")


def test_choose_keeps_own_device_and_refuses_a_taken_one():
    disks = [{"dev": "vdb", "serial": "other"}, {"dev": "vdc", "serial": VOL, "bus": "virtio"}]
    assert device_names.choose("/dev/vdd", "virtio", disks, VOL) == ("vdc", "virtio")
    with pytest.raises(DevicePathInUse, match=r"The supplied device path \(/dev/vdb\) is in use."):
        device_names.choose("/dev/vdb", "virtio", disks, "new-serial")
    assert device_names.choose(None, "virtio", disks, "new-serial") == ("vda", "virtio")


def test_host_iscsi_is_a_block_disk_with_nova_defaults():
    disk = disk_config.build(iscsi(device_path="/dev/sdx", discard=True), VOL, "virtio")["disk"]
    assert disk["type"] == "block" and disk["source"] == {"dev": "/dev/sdx"}
    assert disk["driver"] == {"name": "qemu", "type": "raw", "cache": "none", "io": "native",
                              "discard": "unmap"}
    assert disk["serial"] == VOL and disk["auth"] is None
    assert not disk["readonly"] and not disk["shareable"]


def test_host_iscsi_needs_the_device_path():
    with pytest.raises(InvalidInput, match="data.device_path"):
        disk_config.build(iscsi(), VOL, "virtio")


def test_qemu_iscsi_is_a_network_disk_with_auth_and_no_password():
    disk = disk_config.build(iscsi(), VOL, "virtio", iscsi_initiator="qemu")["disk"]
    assert disk["type"] == "network"
    assert disk["source"] == {"protocol": "iscsi", "name": IQN + "/1",
                              "hosts": [{"name": "127.0.0.3", "port": "3260"}]}
    assert disk["auth"]["username"] == "user0123" and disk["auth"]["secret_type"] == "iscsi"
    assert disk["auth"]["uuid"] == disk_config.secret_uuid("iscsi", IQN + "/1")
    assert "s3cretPassw0rd" not in repr(disk)


def test_auto_initiator_takes_the_host_device_when_the_connect_made_one():
    assert disk_config.validate(iscsi(device_path="/dev/sdx"), "auto")[0] == "iscsi_host"
    assert disk_config.validate(iscsi(), "auto")[0] == "iscsi_qemu"
    assert disk_config.build(iscsi(), VOL, "virtio", iscsi_initiator="auto")["disk"]["type"] == "network"


def test_a_fixed_chap_pair_replaces_the_mask_the_export_returned():
    masked = iscsi(auth_username="awxoperator01", auth_password="VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    fixed = disk_config.with_chap(masked, "awxoperator01", "AwxInjected-Secret-7")
    assert fixed["data"]["auth_password"] == "AwxInjected-Secret-7"
    assert masked["data"]["auth_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"   # a copy
    assert disk_config.with_chap(masked, None, None) is masked
    no_chap = iscsi(auth_method=None)
    assert disk_config.with_chap(no_chap, "u", "p") is no_chap   # no CHAP asked: nothing added


def test_rbd_is_a_network_disk_with_monitors_and_ceph_secret():
    ci = {"driver_volume_type": "rbd",
          "data": {"name": "volumes/volume-" + VOL, "hosts": ["127.0.0.4", "127.0.0.5"],
                   "ports": ["6789", 6789], "auth_enabled": True, "auth_username": "cinder",
                   "secret_type": "ceph", "secret_uuid": "a5d0dd94-57c4-ae55-ffe0-7e3732a24455"}}
    disk = disk_config.build(ci, VOL, "virtio")["disk"]
    assert disk["source"]["protocol"] == "rbd"
    assert disk["source"]["hosts"] == [{"name": "127.0.0.4", "port": "6789"},
                                       {"name": "127.0.0.5", "port": "6789"}]
    assert disk["auth"] == {"username": "cinder", "secret_type": "ceph",
                            "usage": "client.cinder secret",
                            "uuid": "a5d0dd94-57c4-ae55-ffe0-7e3732a24455"}


def test_readonly_shareable_boot_order_and_iotune():
    ci = iscsi(device_path="/dev/sdx", access_mode="ro",
               qos_specs={"total_iops_sec": "500", "read_bytes_sec": 1024, "consumer": "front-end"})
    ci["multiattach"] = True
    disk = disk_config.build(ci, VOL, "scsi", boot_order=1)["disk"]
    assert disk["readonly"] and disk["shareable"] and disk["boot_order"] == 1
    assert disk["iotune"] == {"total_iops_sec": 500, "read_bytes_sec": 1024}
    assert qos.iotune({"consumer": "x", "size_iops_sec": 1})[1] == ["consumer"]


def test_bad_qos_value_is_refused():
    with pytest.raises(InvalidInput, match="total_iops_sec"):
        qos.iotune({"total_iops_sec": "fast"})


def test_unknown_driver_volume_type_uses_nova_wording():
    with pytest.raises(VolumeDriverNotFound, match="Could not find a handler for nfs volume."):
        disk_config.build({"driver_volume_type": "nfs", "data": {}}, VOL, "virtio")


@pytest.mark.parametrize("ci,missing", [
    ({"data": {}}, "connection_info.driver_volume_type"),
    ({"driver_volume_type": "iscsi", "data": {"target_portal": "127.0.0.3:3260"}},
     "data.target_iqn, data.target_lun"),
    (iscsi(auth_password=None), "data.auth_password"),
    # ports are optional (Nova writes a monitor's port only when there is one)
    ({"driver_volume_type": "rbd", "data": {"name": "p/i", "ports": ["6789"]}}, "data.hosts"),
])
def test_missing_keys_are_named(ci, missing):
    with pytest.raises(InvalidInput, match="missing required key\\(s\\): %s" % missing):
        disk_config.validate(ci, "qemu")


def test_secrets_of_finds_the_chap_password():
    assert disk_config.secrets_of(iscsi()) == ["s3cretPassw0rd"]
    assert disk_config.secrets_of(None) == []


def render(ci, **kw):
    from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (
        COLLECTION_TEMPLATES, render_file)
    import os
    return render_file(os.path.join(COLLECTION_TEMPLATES, "libvirt_disk.xml.j2"),
                       disk_config.build(ci, VOL, "virtio", **kw))


def test_template_renders_network_iscsi_and_finalize_sets_the_host_facts():
    xml = render(iscsi(), iscsi_initiator="qemu")
    assert "s3cretPassw0rd" not in xml
    text, desc = disk_config.finalize(xml, "vdc", VOL, secret="11111111-2222-3333-4444-555555555555")
    assert desc["dev"] == "vdc" and desc["serial"] == VOL
    assert desc["source"] == ("network", None, "iscsi", IQN + "/1", (("127.0.0.3", "3260"),))
    assert 'uuid="11111111-2222-3333-4444-555555555555"' in text
    assert disk_config.secret_of(text) == ("iscsi", "11111111-2222-3333-4444-555555555555")


def test_finalize_falls_back_without_o_direct_and_turns_a_file_into_type_file():
    xml = render({"driver_volume_type": "local", "data": {"device_path": "/tmp/x.img"}})
    text, desc = disk_config.finalize(xml, "vdb", VOL, direct_io=False, source_is_file=True)
    assert 'cache="writethrough"' in text and " io=" not in text
    assert desc["source"][:2] == ("file", "/tmp/x.img")


def test_finalize_refuses_a_template_without_the_serial():
    xml = render({"driver_volume_type": "local", "data": {"device_path": "/dev/sdz"}})
    with pytest.raises(InvalidInput, match="serial"):
        disk_config.finalize(xml.replace(VOL, "x"), "vdb", VOL)


def test_parse_disks_reads_dev_bus_serial():
    domain = ("<domain><devices><disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>"
              "<disk type='block'><source dev='/dev/sdx'/><target dev='vdb' bus='virtio'/>"
              "<serial>%s</serial></disk></devices></domain>" % VOL)
    disks = disk_config.parse_disks(domain)
    assert [(d["dev"], d["bus"], d["serial"]) for d in disks] == [("sda", "sata", None),
                                                                  ("vdb", "virtio", VOL)]
    assert disk_config.find_serial(disks, VOL)["source"] == ("block", "/dev/sdx", None, None, ())


def test_host_iscsi_plan_is_the_os_brick_call_nova_makes():
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
    ci = iscsi(device_path="/dev/old")
    step = host_connection.plan(ci, "host", use_multipath=True, device_scan_attempts=2)
    assert step["protocol"] == "ISCSI"
    assert step["connector_kwargs"] == {"use_multipath": True, "device_scan_attempts": 2}
    expected = dict(ci["data"])
    del expected["device_path"]
    assert step["properties"] == expected
    assert host_connection.by_path(ci["data"]) == (
        "/dev/disk/by-path/ip-127.0.0.3:3260-iscsi-%s-lun-1" % IQN)
    stored = host_connection.with_device_path(iscsi(), "/dev/sdq")
    assert stored["data"]["device_path"] == "/dev/sdq" and "device_path" not in iscsi()["data"]


@pytest.mark.parametrize("ci,initiator,word", [
    (iscsi(), "qemu", "QEMU's own iSCSI initiator"),
    ({"driver_volume_type": "rbd", "data": {"name": "p/i", "hosts": ["h"], "ports": [1]}}, "host", "rbd"),
])
def test_network_disks_need_no_host_connection(ci, initiator, word):
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
    step = host_connection.plan(ci, initiator)
    assert step["protocol"] is None and word in step["reason"]


def test_by_path_as_os_brick_names_it():
    """os_brick/initiator/connectors/iscsi.py ISCSIConnector._get_device_path with
    _munge_portal (IPv6 brackets removed), base_iscsi._get_all_targets (LUN 0 by default, one
    path per portal), linuxscsi.LinuxSCSI._format_lun_id (LUN >= 256 in hex) and
    lun_for_addressing (SAM2)."""
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection
    v6 = {"target_portal": "[fd00::5]:3260", "target_iqn": IQN, "target_lun": 1}
    assert host_connection.by_path(v6) == "/dev/disk/by-path/ip-fd00::5:3260-iscsi-%s-lun-1" % IQN
    no_lun = {"target_portal": "127.0.0.3:3260", "target_iqn": IQN}
    assert host_connection.by_path(no_lun).endswith("-lun-0")
    big = dict(no_lun, target_lun=256)
    assert host_connection.by_path(big).endswith("-lun-0x0100000000000000")
    assert host_connection.by_path(dict(no_lun, target_lun=70000)).endswith(
        "-lun-0x1170000100000000")
    assert host_connection.by_path(dict(big, addressing_mode="SAM2")).endswith(
        "-lun-0x4100000000000000")
    multi = dict(no_lun, target_lun=1, target_portals=["127.0.0.3:3260", "[fd00::6]:3260"],
                 target_iqns=[IQN, IQN + "b"], target_luns=[1, 2])
    assert host_connection.by_paths(multi) == [
        "/dev/disk/by-path/ip-127.0.0.3:3260-iscsi-%s-lun-1" % IQN,
        "/dev/disk/by-path/ip-fd00::6:3260-iscsi-%sb-lun-2" % IQN]
    assert host_connection.by_path(multi) == host_connection.by_paths(multi)[0]
    with pytest.raises(Exception) as err:
        host_connection.by_paths(dict(no_lun, addressing_mode="SAM9"))
    assert "Invalid addressing_mode SAM9" in str(err.value)


def test_disk_xml_alias_blockio_and_io_as_nova_sets_them():
    """nova/virt/libvirt/volume/volume.py LibvirtBaseVolumeDriver.get_config (alias
    ua-<volume id> from config.make_libvirt_device_alias, logical/physical_block_size, access
    mode), volume/iscsi.py LibvirtISCSIVolumeDriver.get_config (io native, the only one),
    driver.py _set_cache_mode (native -> threads without O_DIRECT)."""
    host = render(iscsi(device_path="/dev/sdx", logical_block_size=512,
                        physical_block_size=4096))
    assert '<alias name="ua-%s"' % VOL in host and 'io="native"' in host
    assert '<blockio logical_block_size="512" physical_block_size="4096"' in host
    text = disk_config.finalize(host, "vdb", VOL, direct_io=False)[0]
    assert 'cache="writethrough"' in text and 'io="threads"' in text
    net = render(iscsi(), iscsi_initiator="qemu")
    assert " io=" not in net and "<blockio" not in net and '<alias name="ua-%s"' % VOL in net
    local = render({"driver_volume_type": "local", "data": {"device_path": "/dev/sdz"}})
    assert " io=" not in local
    only_logical = render(iscsi(device_path="/dev/sdx", logical_block_size=4096))
    assert '<blockio logical_block_size="4096"/>' in only_logical


def test_unknown_access_mode_is_novas_invalid_volume_access_mode():
    """LibvirtBaseVolumeDriver.get_config raises InvalidVolumeAccessMode, not rw."""
    from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
        InvalidVolumeAccessMode)
    with pytest.raises(InvalidVolumeAccessMode) as err:
        disk_config.build(iscsi(device_path="/dev/sdx", access_mode="wo"), VOL, "virtio")
    assert str(err.value) == "Invalid volume access mode: wo"
    assert disk_config.build(iscsi(device_path="/dev/sdx", access_mode=""), VOL,
                             "virtio")["disk"]["readonly"] is False


def test_lingering_sessions_are_the_volume_targets_sessions_only():
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection as hc
    data = {"target_portals": ["10.0.2.41:3260", "10.0.2.42:3260"],
            "target_iqns": ["iqn.2010-10.org.openstack:volume-a"] * 2, "target_luns": [1, 1]}
    sessions = [{"sid": 1, "target_iqn": "iqn.2010-10.org.openstack:volume-a", "target_portal": "10.0.2.41:3260"},
                {"sid": 2, "target_iqn": "iqn.2010-10.org.openstack:volume-b", "target_portal": "10.0.2.41:3260"},
                {"sid": 3, "target_iqn": "iqn.2010-10.org.openstack:volume-a", "target_portal": "10.0.2.42:3260"}]
    assert [s["sid"] for s in hc.lingering_sessions(data, sessions)] == [1, 3]
    assert hc.lingering_sessions(data, None) == []          # no iscsi_session class: nothing
    single = {"target_portal": "10.0.2.41:3260", "target_iqn": "iqn.2010-10.org.openstack:volume-b", "target_lun": 1}
    assert [s["sid"] for s in hc.lingering_sessions(single, sessions)] == [2]


def test_a_lun_that_is_not_a_number_is_refused_not_a_crash():
    import pytest
    from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection as hc
    from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
    data = {"target_portal": "127.0.0.9:3260", "target_iqn": "iqn.2010-10.org.openstack:volume-x"}
    for bad in (" ", "1a", "\u00b2", -1, 1.5, None, True, [1]):
        with pytest.raises(InvalidInput):
            hc.by_paths(dict(data, target_lun=bad))
    assert hc.by_paths(dict(data, target_lun="3"))[0].endswith("-lun-3")
    assert hc.by_paths(dict(data, target_lun=0))[0].endswith("-lun-0")
