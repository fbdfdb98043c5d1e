"""Hostile input against the pure rules and the template rendering (issue 14): every value
that reaches libvirt XML, tgtd's request or a target file is escaped or refused, every
number is finite and bounded."""

import os
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, ValidationError, VirtblockError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import (
    disk_config, domain_config, server_request, target_config)
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (
    COLLECTION_TEMPLATES, render_file)

UUID = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
HOST_FILE = "/etc/shadow"
# The NIC model: closes <model>, <interface>, and adds a disk on a host file.
MODEL_INJECTION = ('virtio"/></interface><disk type="file" device="disk"><driver name="qemu" '
                   'type="raw"/><source file="%s"/><target dev="vdz" bus="virtio"/></disk>'
                   '<interface type="user"><model type="virtio' % HOST_FILE)
PORTAL_INJECTION = '127.0.0.70" port="3260"/><host name="127.0.0.71:3260'


def _domain(**extra):
    args = dict(name="vbtest-x", uuid=UUID, memory=64, vcpus=1)
    args.update(extra)
    return domain_config.build(**args)


def test_server_request_refuses_the_nic_model_injection():
    request = {"name": "vm", "memory": 64, "vcpus": 1, "networks": [{"type": "user", "model": MODEL_INJECTION}],
               "block_device_mapping_v2": [{"boot_index": 0, "source_type": "blank",
                                            "destination_type": "volume", "volume_size": 1}]}
    with pytest.raises(ValidationError, match="networks\\[0\\].model"):
        server_request.validate_request(request)
    request["networks"][0]["model"] = "e1000"
    assert server_request.validate_request(request)["networks"] == [{"type": "user", "model": "e1000"}]


@pytest.mark.parametrize("field,value", [
    ("name", "vm\nname"), ("kernel", "/boot/vmlinuz\n"), ("kernel", "vmlinuz"),
    ("memory", 2 ** 31), ("vcpus", 2 ** 40), ("max_local_block_devices", "abc"),
])
def test_server_request_refuses_control_characters_relative_paths_and_huge_numbers(field, value):
    request = {"name": "vm", "memory": 64, "vcpus": 1, "networks": "none",
               "block_device_mapping_v2": [{"boot_index": 0, "source_type": "blank",
                                            "destination_type": "volume", "volume_size": 1}]}
    request[field] = value
    with pytest.raises(VirtblockError):
        server_request.validate_request(request)


@pytest.mark.parametrize("extra,message", [
    (dict(networks=[{"type": "user", "model": MODEL_INJECTION}]), "network model"),
    (dict(machine='q35"><kernel>/etc/shadow</kernel><x a="'), "machine"),
    (dict(disks=[{"path": "/x/disk", "device_name": "/dev/vda", "format": 'raw"/><x a="'}]), "disk format"),
    (dict(disks=[{"path": "/x/disk", "device_name": "/dev/vda", "cache": "none'"}]), "cache mode"),
    (dict(disks=[{"path": "/x/disk", "device_name": '/dev/vda"/><x a="'}]), "device_name"),
    (dict(disks=[{"path": "/x/disk", "device_name": "/dev/vda", "discard": "unmap'"}]), "discard"),
    (dict(root_ports=2147483648), "root_ports"),
    (dict(root_ports=29), "root_ports"),
    (dict(root_ports=0), "root_ports"),
    (dict(memory=float("nan")), "memory"),
    (dict(vcpus="abc"), "vcpus"),
    (dict(console_log="/var/log/x\n"), "console_log"),
])
def test_domain_config_refuses_what_libvirt_and_nova_would_not_take(extra, message):
    with pytest.raises(InvalidInput, match=message):
        _domain(**extra)


def test_domain_template_autoescapes_values_that_slip_past_validation():
    domain = _domain(networks=[{"type": "user", "model": "virtio"}], cmdline="console=ttyS0")
    # As a user's own template might receive it: no validation between value and XML.
    domain["networks"][0]["model"] = MODEL_INJECTION
    domain["machine"] = 'q35"/><kernel>%s</kernel><x a="' % HOST_FILE
    text = render_file(os.path.join(COLLECTION_TEMPLATES, "libvirt_domain.xml.j2"), {"domain": domain})
    root = ET.fromstring(text)
    assert root.findall("./devices/disk") == []
    assert len(root.findall("./devices/interface")) == 1
    assert root.find("./devices/interface/model").get("type") == MODEL_INJECTION
    assert root.find("./os/kernel") is None


def test_disk_template_autoescapes_the_portal_host():
    info = {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-%s" % UUID, "target_portal": "127.0.0.70:3260",
        "target_lun": 1}}
    variables = disk_config.build(info, serial=UUID, bus="virtio", iscsi_initiator="qemu")
    variables["disk"]["source"]["hosts"][0]["name"] = PORTAL_INJECTION
    text = render_file(os.path.join(COLLECTION_TEMPLATES, "libvirt_disk.xml.j2"), variables)
    hosts = ET.fromstring(text).findall("./source/host")
    assert [h.get("name") for h in hosts] == [PORTAL_INJECTION]


@pytest.mark.parametrize("data,message", [
    ({"target_portal": PORTAL_INJECTION + ":3260"}, "target_portal host"),
    ({"target_portal": "127.0.0.70:99999"}, "target_portal port"),
    ({"target_iqn": 'iqn.2010-10.org.openstack:x"/>'}, "target_iqn"),
    ({"target_lun": "1\"/>"}, "target_lun"),
    ({"auth_method": "CHAP", "auth_username": "u\n", "auth_password": "p" * 16}, "auth_username"),
])
def test_disk_config_validates_connection_info_fields_that_reach_the_xml(data, message):
    info = {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-%s" % UUID, "target_portal": "127.0.0.70:3260",
        "target_lun": 1}}
    info["data"].update(data)
    with pytest.raises(InvalidInput, match=message):
        disk_config.build(info, serial=UUID, bus="virtio", iscsi_initiator="qemu")


@pytest.mark.parametrize("data,message", [
    ({"hosts": ['127.0.0.30"/><host name="10.0.0.1'], "ports": [6789]}, "hosts"),
    ({"hosts": ["127.0.0.30"], "ports": ["6789\"/>"]}, "ports"),
    ({"hosts": ["127.0.0.30"], "ports": [6789], "secret_uuid": 'x"/>'}, "secret_uuid"),
])
def test_disk_config_validates_rbd_hosts_ports_and_secret(data, message):
    info = {"driver_volume_type": "rbd", "data": dict({"name": "volumes/volume-%s" % UUID,
                                                       "auth_enabled": True, "auth_username": "cinder"}, **data)}
    with pytest.raises(InvalidInput, match=message):
        disk_config.build(info, serial=UUID, bus="virtio")


def test_disk_config_refuses_a_bus_nova_does_not_know():
    info = {"driver_volume_type": "local", "data": {"device_path": "/dev/loop0"}}
    with pytest.raises(VirtblockError):
        disk_config.build(info, serial=UUID, bus='virtio"/><x a="')


IQN = "iqn.2010-10.org.openstack:volume-%s" % UUID


@pytest.mark.parametrize("kwargs,message", [
    (dict(backing_store="/allowed/x,path=/outside/secret.img"), "backing_store"),
    (dict(backing_store="/allowed/x\ninitiator-address ALL"), "backing_store"),
    (dict(backing_store="/allowed/x #comment"), "backing_store"),
    (dict(backing_store="relative/x"), "backing_store"),
    (dict(initiator_addresses=["127.0.0.1,initiator-name=iqn.2024-01.evil:x"]), "initiator address"),
    (dict(initiator_addresses=["127.0.0.1\ninitiator-name iqn.2024-01.evil:x"]), "initiator address"),
    (dict(initiators=["iqn.2024-01.org.example:a,initiator-address=ALL"]), "initiator"),
    (dict(initiators=["iqn.2024-01.org.example:a\nbacking-store /etc/shadow"]), "initiator"),
    (dict(target_flags="direct\nbacking-store /etc/shadow"), "target_flags"),
])
def test_target_template_vars_refuse_separators_and_newlines(kwargs, message):
    args = dict(iqn=IQN, backing_store="/var/lib/virtblock/x")
    args.update(kwargs)
    with pytest.raises(InvalidInput, match=message):
        target_config.template_vars(**args)


@pytest.mark.parametrize("line", [
    "backing-store /a,path=/etc/shadow",
    "initiator-address 127.0.0.1,initiator-name=iqn.2024-01.evil:x",
    "incominguser user,x password123456",
    "incominguser user password12345,x",
    "bs-type rdwr,path=/etc/shadow",
])
def test_target_file_parse_refuses_separators_in_every_value(line):
    text = "<target %s>\n    backing-store /var/lib/x\n    %s\n</target>\n" % (IQN, line)
    if line.startswith("backing-store"):
        text = "<target %s>\n    %s\n</target>\n" % (IQN, line)
    with pytest.raises(InvalidInput):
        target_config.parse(text)


def test_tgt_adapter_refuses_a_separator_before_it_reaches_tgtd():
    from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
    # No tgtd needed: the check comes before the socket is opened.
    admin = TgtAdmin(control_port=65000)
    with pytest.raises(InvalidInput, match="separator"):
        admin.request("device", "new", [("path", "/a,path=/etc/shadow")], tid=1, lun=1)
