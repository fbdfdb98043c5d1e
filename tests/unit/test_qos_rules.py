"""Front-end QoS: Cinder's _parse_connection_options (consumer, per-GB) and Nova's
<iotune> keys (LibvirtBaseVolumeDriver.get_config), plus the checks QEMU would make."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config, qos


def test_per_gb_is_scaled_by_the_volume_size_raised_to_the_minimum_and_capped_as_cinder_does():
    # Cinder's own unit test shape (test_volume_connection: per-GB QoS)
    specs = qos.front_end_specs({"consumer": "front-end",
                                 "read_iops_sec_per_gb": "10", "read_iops_sec_per_gb_min": "1000",
                                 "write_iops_sec_per_gb": 100, "write_iops_sec_max": 1500,
                                 "total_bytes_sec_per_gb": 1 << 20}, volume_size_gib=20)
    assert specs == {"read_iops_sec": 1000,          # 10 * 20 = 200, raised to the minimum
                     "write_iops_sec": 1500,         # 100 * 20 = 2000, capped by _max
                     "total_bytes_sec": 20 << 20}


def test_only_front_end_and_both_reach_connection_info():
    assert qos.front_end_specs({"consumer": "back-end", "read_iops_sec": 5}, 1) is None
    assert qos.front_end_specs({"consumer": "both", "read_iops_sec": 5}, 1) == {"read_iops_sec": 5}
    assert qos.front_end_specs({"read_iops_sec": 5}, 1) == {"read_iops_sec": 5}
    assert qos.front_end_specs(None, 1) is None and qos.front_end_specs({}, 1) is None
    with pytest.raises(InvalidInput, match="consumer 'frontend' is not one of"):
        qos.front_end_specs({"consumer": "frontend"}, 1)


def test_volume_size_is_whole_gib_rounded_up_as_cinder_sizes_are():
    assert qos.size_gib(8 << 20) == 1 and qos.size_gib(1 << 30) == 1 and qos.size_gib((1 << 30) + 1) == 2


def test_iotune_takes_novas_keys_and_libvirts_burst_lengths_and_ignores_the_rest():
    tune, ignored = qos.iotune({"total_iops_sec": 100, "total_iops_sec_max": 400,
                                "total_iops_sec_max_length": 30, "size_iops_sec": 4096,
                                "read_bytes_sec": 1000, "write_bytes_sec": 2000,
                                "read_bytes_sec_max": 5000, "some_backend_key": "x"})
    assert tune == {"total_iops_sec": 100, "total_iops_sec_max": 400,
                    "total_iops_sec_max_length": 30, "size_iops_sec": 4096,
                    "read_bytes_sec": 1000, "write_bytes_sec": 2000, "read_bytes_sec_max": 5000}
    assert ignored == ["some_backend_key"]
    assert set(qos.NOVA_TUNE_KEYS) <= set(qos.TUNE_KEYS) and len(qos.NOVA_TUNE_KEYS) == 13


@pytest.mark.parametrize("specs, reason", [
    ({"total_bytes_sec": 10, "read_bytes_sec": 5}, "total_bytes_sec cannot be set together with read_bytes_sec"),
    ({"total_iops_sec": 10, "write_iops_sec": 5}, "total_iops_sec cannot be set together"),
    ({"read_iops_sec_max": 10}, "read_iops_sec_max needs read_iops_sec"),
    ({"read_iops_sec": 10, "read_iops_sec_max": 5}, "read_iops_sec_max must not be below read_iops_sec"),
    ({"read_iops_sec": 10, "read_iops_sec_max_length": 5}, "read_iops_sec_max_length needs read_iops_sec_max"),
    ({"read_iops_sec": -1}, "must not be negative"),
    ({"read_iops_sec": True}, "is not a whole number"),
    ({"read_iops_sec": "1e3"}, "is not a whole number"),
    ({"read_iops_sec": 10 ** 16}, "QEMU's limit"),
])
def test_values_qemu_refuses_fail_with_its_reason_before_any_attach(specs, reason):
    with pytest.raises(InvalidInput, match=reason):
        qos.iotune(specs)
    with pytest.raises(InvalidInput, match=reason):   # and on the storage side already
        qos.front_end_specs(specs, 1)


def test_the_disk_gets_the_iotune_of_the_connection_info():
    info = {"driver_volume_type": "local", "data": {
        "device_path": "/dev/sdx", "qos_specs": {"read_iops_sec": 200, "read_iops_sec_max": 400,
                                                 "read_iops_sec_max_length": 10}}}
    disk = disk_config.build(info, "6f2b1d1e-0c7b-4a55-9a57-000000000001", "virtio")["disk"]
    assert disk["iotune"] == {"read_iops_sec": 200, "read_iops_sec_max": 400, "read_iops_sec_max_length": 10}
