"""libvirt_disk_attach against a real libvirtd + QEMU (domains with no guest OS)."""

import os
import pytest

from support.ansible_run import run_module
from support.libvirtd import make_volume

TIMEOUT = dict(detach_timeout=1, detach_attempts=1)


@pytest.fixture
def volume(volume_dir):
    """A local file volume: (volume_id, connection_info)."""
    return make_volume(volume_dir)


def attach(dom, volume, **extra):
    args = dict(domain=dom.name(), volume_id=volume[0], connection_info=volume[1])
    args.update(extra)
    return run_module("libvirt_disk_attach", args, check=extra.pop("_check", False))


def detach(dom, volume_id, check=False, **extra):
    args = dict(domain=dom.name(), volume_id=volume_id, state="detached", **TIMEOUT)
    args.update(extra)
    return run_module("libvirt_disk_attach", args, check=check)


def test_shut_off_domain_changes_config_only_and_reruns_are_unchanged(virt, volume):
    dom = virt.define()
    first = attach(dom, volume)
    assert first["changed"] and not first["failed"], first.get("msg")
    assert first["device"] == "/dev/vda" and first["live"] is False
    assert volume[0] in virt.config_xml(dom) and not dom.isActive()
    again = attach(dom, volume)
    assert again["changed"] is False and again["device"] == "/dev/vda"
    gone = detach(dom, volume[0])
    assert gone["changed"] and volume[0] not in virt.config_xml(dom)
    assert detach(dom, volume[0])["changed"] is False


def test_check_mode_and_diff_show_the_one_disk_and_change_nothing(virt, volume):
    dom = virt.define()
    args = dict(domain=dom.name(), volume_id=volume[0], connection_info=volume[1])
    checked = run_module("libvirt_disk_attach", args, check=True, diff=True)
    assert checked["changed"] and volume[0] not in virt.config_xml(dom)
    assert checked["diff"]["before"] == ""
    after = checked["diff"]["after"]
    assert after.startswith("<disk") and after.count("<disk") == 1 and volume[0] in after
    run_module("libvirt_disk_attach", args)
    removed = run_module("libvirt_disk_attach", dict(args, state="detached"), check=True, diff=True)
    assert removed["changed"] and removed["diff"]["after"] == ""
    assert volume[0] in removed["diff"]["before"] and volume[0] in virt.config_xml(dom)


def test_next_free_name_and_device_path_in_use(virt, volume_dir):
    dom = virt.define()
    vols = [make_volume(volume_dir) for dummy in range(3)]
    assert attach(dom, vols[0], device="/dev/vdc")["device"] == "/dev/vdc"
    assert attach(dom, vols[1])["device"] == "/dev/vda"      # the gap first
    taken = attach(dom, vols[2], device="/dev/vdc")
    assert taken["failed"] and taken["msg"] == "The supplied device path (/dev/vdc) is in use."
    assert attach(dom, vols[2], disk_bus="scsi")["device"] == "/dev/sda"


def test_running_domain_virtio_and_scsi_attach_scsi_detach_completes(virt, volume, volume_dir):
    dom = virt.define(start=True)
    result = attach(dom, volume, disk_bus="scsi")
    assert result["changed"] and result["live"] and result["device"] == "/dev/sda", result.get("msg")
    assert volume[0] in virt.live_xml(dom) and volume[0] in virt.config_xml(dom)
    other = make_volume(volume_dir)
    virtio = attach(dom, other)
    assert virtio["changed"] and virtio["device"] == "/dev/vda" and other[0] in virt.live_xml(dom)
    gone = detach(dom, volume[0])
    assert gone["changed"] and not gone["failed"], gone.get("msg")
    assert volume[0] not in virt.live_xml(dom) and volume[0] not in virt.config_xml(dom)


def test_running_domain_virtio_detach_times_out_clearly_and_rerun_is_no_worse(virt, volume):
    dom = virt.define(start=True)
    assert attach(dom, volume)["changed"]
    first = detach(dom, volume[0])
    assert first["failed"]
    assert first["msg"].startswith("Device detach failed for vda: Run out of retry while detaching")
    assert "Device is still attached to the guest." in first["msg"]
    assert volume[0] not in virt.config_xml(dom)            # config already clean
    assert volume[0] in virt.live_xml(dom)                  # the guest kept it
    again = detach(dom, volume[0])
    assert again["failed"] and "Device detach failed for vda" in again["msg"]
    serial = "<serial>%s</serial>" % volume[0]
    assert volume[0] not in virt.config_xml(dom) and virt.live_xml(dom).count(serial) == 1
    # Attaching again restores the config entry only; the live disk is reused.
    back = attach(dom, volume)
    assert back["changed"] and back["device"] == "/dev/vda"
    assert volume[0] in virt.config_xml(dom) and virt.live_xml(dom).count(serial) == 1


def test_other_source_for_the_same_volume_is_refused(virt, volume, tmp_path):
    dom = virt.define()
    attach(dom, volume)
    other = tmp_path / "other.img"
    other.write_bytes(b"\0" * 4096)
    moved = attach(dom, (volume[0], {"driver_volume_type": "local",
                                     "data": {"device_path": str(other)}}))
    assert moved["failed"] and "attached at /dev/vda with another source" in moved["msg"]


def test_template_override(virt, volume, tmp_path):
    dom = virt.define()
    template = tmp_path / "disk.xml.j2"
    here = os.path.join(os.path.dirname(__file__), "..", "..", "templates", "libvirt_disk.xml.j2")
    with open(here) as handle:
        text = handle.read()
    template.write_text(text.replace('<target dev=', '<vendor>VBTEST</vendor>\n  <target dev='))
    result = attach(dom, volume, template=str(template), disk_bus="scsi")
    assert result["changed"] and "<vendor>VBTEST</vendor>" in virt.config_xml(dom)


@pytest.mark.parametrize("args,message", [
    (dict(domain="vbtest-no-such-domain"), "Instance vbtest-no-such-domain could not be found."),
    (dict(device="/dev/VDA"), "The supplied device path (/dev/VDA) is invalid."),
    (dict(device="vdb"), "The supplied device path (vdb) is invalid."),
    (dict(device="/dev/nvme0n1"), "The supplied device path (/dev/nvme0n1) is invalid."),
    (dict(connection_info={"driver_volume_type": "nfs", "data": {"export": "x"}}),
     "Could not find a handler for nfs volume."),
    (dict(connection_info={"driver_volume_type": "iscsi", "data": {"target_lun": 1}}),
     "Invalid input received: connection_info is missing required key(s): data.target_iqn, data.target_portal"),
    (dict(uri="qemu:///system?socket=/nonexistent/libvirt-sock"),
     "Connection to the hypervisor is broken on host qemu:///system?socket=/nonexistent/libvirt-sock"),
])
def test_bad_input_fails_clearly(virt, volume, args, message):
    dom = virt.define()
    full = dict(domain=dom.name(), volume_id=volume[0], connection_info=volume[1])
    full.update(args)
    result = run_module("libvirt_disk_attach", full)
    assert result["failed"] and result["msg"].startswith(message), result["msg"]
    assert volume[0] not in virt.config_xml(dom)


def test_rbd_volume_on_shut_off_domain_with_ceph_secret_qos_and_readonly(virt, volume):
    dom = virt.define()
    key = "AQB2YnRlc3Qta2V5LWRvLW5vdC1zaG93ISEhIQ=="   # base64, as ceph auth print-key prints a key
    info = {"driver_volume_type": "rbd", "data": {
        "name": "volumes/volume-%s" % volume[0], "hosts": ["127.0.0.4", "127.0.0.5"],
        "ports": ["6789", "6789"], "auth_enabled": True, "auth_username": "vbtest-%s" % volume[0][:8],
        "access_mode": "ro", "qos_specs": {"read_iops_sec": 200, "consumer": "front-end"}}}
    result = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume[0],
                                                    connection_info=info, rbd_key=key))
    assert result["changed"] and not result["failed"], result.get("msg")
    config = virt.config_xml(dom)
    assert "protocol='rbd'" in config and "name='127.0.0.5'" in config
    assert "<readonly/>" in config and "<read_iops_sec>200</read_iops_sec>" in config
    assert result["secret_uuid"] in config
    assert key not in config and key not in result["_stdout"]
    secret = virt.conn.secretLookupByUUIDString(result["secret_uuid"])
    try:
        assert secret.usageType() == virt.libvirt.VIR_SECRET_USAGE_TYPE_CEPH
        assert run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume[0],
                                                      connection_info=info,
                                                      rbd_key=key))["changed"] is False
    finally:
        secret.undefine()
