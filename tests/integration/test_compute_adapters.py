"""The libvirt and os-brick adapters against the real libvirtd and os-brick."""

import uuid

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import os_brick as brick
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    HypervisorUnavailable, InstanceNotFound)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import LibvirtHost


@pytest.fixture
def host(libvirtd_running):
    handle = LibvirtHost(libvirtd_running)
    yield handle
    handle.close()


def test_secret_is_private_created_once_and_deleted_when_unused(host, virt):
    usage = "iqn.2010-10.org.openstack:vbtest-%s/1" % uuid.uuid4().hex[:8]
    wanted = str(uuid.uuid4())
    try:
        made, created = host.ensure_secret("iscsi", usage, wanted, "Pa55word-vbtest", "vbtest")
        assert created and made == wanted
        again, created_again = host.ensure_secret("iscsi", usage, str(uuid.uuid4()), "Pa55word-vbtest", "vbtest")
        assert again == wanted and not created_again
        secret_xml = host.secret_xml("iscsi", usage)
        assert "private='yes'" in secret_xml and "Pa55word" not in secret_xml
        assert host.delete_unused_secret(wanted) is True
        assert host.find_secret("iscsi", usage) is None
    finally:
        host.delete_secret("iscsi", usage)


def test_check_mode_secret_is_not_made(host):
    usage = "iqn.2010-10.org.openstack:vbtest-%s/1" % uuid.uuid4().hex[:8]
    _uuid, created = host.ensure_secret("iscsi", usage, str(uuid.uuid4()), "Pa55word-vbtest",
                                        "vbtest", dry_run=True)
    assert created and host.find_secret("iscsi", usage) is None


def test_unknown_domain_and_unreachable_libvirtd(host):
    with pytest.raises(InstanceNotFound, match="Instance vbtest-nope could not be found."):
        host.domain("vbtest-nope")
    with pytest.raises(HypervisorUnavailable, match="Connection to the hypervisor is broken"):
        LibvirtHost("qemu:///system?socket=/nonexistent/libvirt-sock")


def test_domain_found_by_uuid_and_name(host, virt):
    dom = virt.define()
    assert host.domain(dom.UUIDString()).name == dom.name()
    assert host.domain(dom.name()).uuid == dom.UUIDString()
    assert host.domain(dom.name()).is_running() is False


def test_os_brick_connector_properties_in_process_without_sudo():
    props = brick.connector_properties("127.0.0.3", host="vbtest")
    assert props["ip"] == "127.0.0.3" and props["host"] == "vbtest"
    assert props["initiator"].startswith("iqn.")
    assert isinstance(brick.kernel_initiator_present(), bool)
