"""Device names as Nova's reserve_block_device_name / libvirt blockinfo choose them."""
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names as dn
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidDevicePath, DevicePathInUse, TooManyDiskDevices, InvalidBDMDiskBus)


@pytest.mark.parametrize("index,letters", [(0, "a"), (1, "b"), (25, "z"), (26, "aa"),
                                           (27, "ab"), (51, "az"), (52, "ba"), (701, "zz"),
                                           (702, "aaa")])
def test_letters_round_trip(index, letters):
    assert dn.index_to_letters(index) == letters
    assert dn.letters_to_index(letters) == index


def test_first_free_name_fills_gaps_first():
    assert dn.next_device_name("virtio", []) == "/dev/vda"
    assert dn.next_device_name("virtio", ["/dev/vda", "/dev/vdc"]) == "/dev/vdb"
    assert dn.next_device_name("virtio", ["vda", "/dev/vdb"]) == "/dev/vdc"


def test_other_buses_do_not_take_the_name():
    assert dn.next_device_name("virtio", ["/dev/sda", "/dev/hda"]) == "/dev/vda"
    assert dn.next_device_name("scsi", ["/dev/vda", "/dev/sda"]) == "/dev/sdb"


@pytest.mark.parametrize("bus,prefix", [("virtio", "vd"), ("scsi", "sd"), ("usb", "sd"),
                                        ("sata", "sd"), ("ide", "hd"), ("xen", "xvd"),
                                        ("fdc", "fd")])
def test_prefix_per_bus(bus, prefix):
    assert dn.next_device_name(bus, []) == "/dev/%sa" % prefix


def test_vdz_then_vdaa_when_the_limit_allows():
    used = ["/dev/vd" + dn.index_to_letters(i) for i in range(26)]
    assert used[-1] == "/dev/vdz"
    assert dn.next_device_name("virtio", used, max_disk_devices_to_attach=40) == "/dev/vdaa"
    assert dn.next_device_name("virtio", used + ["/dev/vdaa"],
                               max_disk_devices_to_attach=40) == "/dev/vdab"


def test_no_limit_unless_max_disk_devices_to_attach_like_nova():
    """nova/virt/libvirt/blockinfo.py get_dev_count_for_disk_bus returns None (no limit)
    for every bus but ide unless [compute] max_disk_devices_to_attach is set, and
    find_disk_dev_for_disk_bus goes on past vdz (generate_device_name: vdaa)."""
    used = ["/dev/vd" + dn.index_to_letters(i) for i in range(26)]
    assert dn.next_device_name("virtio", used) == "/dev/vdaa"
    assert dn.next_device_name("scsi", ["/dev/sd" + dn.index_to_letters(i)
                                        for i in range(300)]) == "/dev/sd" + dn.index_to_letters(300)
    assert dn.dev_count_for_disk_bus("virtio") is None
    with pytest.raises(TooManyDiskDevices) as err:
        dn.next_device_name("virtio", used, max_disk_devices_to_attach=26)
    assert "(26)" in str(err.value)
    assert dn.next_device_name("virtio", [], requested="/dev/vdzz") == "/dev/vdzz"


def test_ide_takes_four():
    used = ["/dev/hda", "/dev/hdb", "/dev/hdc"]
    assert dn.next_device_name("ide", used) == "/dev/hdd"
    with pytest.raises(TooManyDiskDevices) as err:
        dn.next_device_name("ide", used + ["/dev/hdd"], max_disk_devices_to_attach=100)
    assert "(4)" in str(err.value)
    with pytest.raises(InvalidDevicePath):
        dn.next_device_name("ide", [], requested="/dev/hde")


@pytest.mark.parametrize("path", ["vdb", "/dev/", "/dev/1vdb", "/dev/VDB", "/dev/vdb/x",
                                  "/dev/ab cd", "/dev/../etc", "", "/dev/vdb;rm"])
def test_invalid_requested_paths(path):
    if path == "":
        assert dn.next_device_name("virtio", [], requested=path) == "/dev/vda"
        return
    with pytest.raises(InvalidDevicePath) as err:
        dn.next_device_name("virtio", [], requested=path)
    assert str(err.value) == "The supplied device path (%s) is invalid." % path


def test_match_device():
    assert dn.match_device("/dev/vdb") == ("/dev/vd", "b")
    assert dn.match_device("/dev/xvdc") == ("/dev/xvd", "c")
    assert dn.match_device("/dev/sda1") == ("/dev/sd", "a")
    assert dn.match_device("vdb") is None


def test_requested_name_kept_or_refused_when_in_use():
    assert dn.next_device_name("virtio", ["/dev/vda"], requested="/dev/vdf") == "/dev/vdf"
    # the prefix is the bus's, the letters the request's (Nova's get_next_device_name)
    assert dn.next_device_name("virtio", ["/dev/vda"], requested="/dev/sdc") == "/dev/vdc"
    with pytest.raises(DevicePathInUse) as err:
        dn.next_device_name("virtio", ["vda", "vdb"], requested="/dev/vdb")
    assert str(err.value) == "The supplied device path (/dev/vdb) is in use."


def test_unknown_bus():
    with pytest.raises(InvalidBDMDiskBus):
        dn.next_device_name("nvme0", [])
    with pytest.raises(InvalidBDMDiskBus):
        dn.next_device_name("lxc", [])
