"""local_disk and libvirt_domain on their own, against real qemu-img, mkswap and libvirtd:
check mode changes nothing, the first run changes, the second run does not, bad input fails
with a message."""

import json
import os
import subprocess
import uuid

import pytest

from support.ansible_run import run_module


@pytest.fixture
def disk_dir(tmp_path):
    os.chmod(str(tmp_path), 0o755)
    return tmp_path


def test_local_disk_swap_check_then_create_then_unchanged(disk_dir):
    path = str(disk_dir / "instance" / "disk.swap")
    args = dict(path=path, kind="swap", size=16)
    checked = run_module("local_disk", args, check=True, diff=True)
    assert not checked.get("failed"), checked.get("msg")
    assert checked["changed"] and not os.path.exists(path)
    first = run_module("local_disk", args)
    assert first["changed"] and os.path.exists(path)
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", path], check=True,
                                     capture_output=True, text=True).stdout)
    assert info["virtual-size"] == 16 << 20 and info["format"] == first["format"]["format"]
    assert first["format"]["guest_format"] == "swap"
    again = run_module("local_disk", args)
    assert not again.get("failed") and not again["changed"]
    gone = run_module("local_disk", dict(path=path, state="absent"))
    assert gone["changed"] and not os.path.exists(path)
    assert not run_module("local_disk", dict(path=path, state="absent"))["changed"]


def test_local_disk_image_overlay_on_one_cached_base(disk_dir):
    image = str(disk_dir / "image.raw")
    subprocess.run(["qemu-img", "create", "-f", "raw", image, "8M"], check=True,
                   capture_output=True)
    base_dir = str(disk_dir / "_base")
    image_id = str(uuid.uuid4())
    results = []
    for name in ("one", "two", "two"):
        results.append(run_module("local_disk", dict(
            path=str(disk_dir / name / "disk"), kind="image", image=image, image_id=image_id,
            base_dir=base_dir)))
    for result in results:
        assert not result.get("failed"), result.get("msg")
    assert results[0]["changed"] and results[0]["base_created"]
    assert results[1]["changed"] and not results[1]["base_created"]
    assert results[0]["base"] == results[1]["base"] and os.path.dirname(results[0]["base"]) == base_dir
    assert not results[2]["changed"]
    info = subprocess.run(["qemu-img", "info", "--output=json", str(disk_dir / "two" / "disk")],
                          check=True, capture_output=True, text=True).stdout
    assert '"format": "qcow2"' in info and results[0]["base"] in info


def test_local_disk_refuses_ephemeral_without_size(disk_dir):
    result = run_module("local_disk", dict(path=str(disk_dir / "disk.eph0"), kind="ephemeral",
                                           guest_format="ext4"))
    assert result.get("failed") and "size" in result["msg"]
    assert "Traceback" not in result["msg"]
    assert not os.path.exists(str(disk_dir / "disk.eph0"))


def test_libvirt_domain_define_start_absent_each_rerun_unchanged(virt, disk_dir):
    name, domain_uuid = "vbtest-%s" % uuid.uuid4().hex[:10], str(uuid.uuid4())
    base = dict(name=name, uuid=domain_uuid, memory=64, vcpus=1)

    def lookup():
        try:
            return virt.conn.lookupByUUIDString(domain_uuid)
        except virt.libvirt.libvirtError:
            return None

    try:
        checked = run_module("libvirt_domain", dict(base, state="defined"), check=True)
        assert not checked.get("failed"), checked.get("msg")
        assert checked["changed"] and lookup() is None
        for state, active in (("defined", False), ("running", True)):
            first = run_module("libvirt_domain", dict(base, state=state))
            assert not first.get("failed") and first["changed"], first.get("msg")
            dom = lookup()
            assert dom is not None and bool(dom.isActive()) is active
            again = run_module("libvirt_domain", dict(base, state=state))
            assert not again.get("failed") and not again["changed"], again.get("msg")
        gone = run_module("libvirt_domain", dict(name=name, uuid=domain_uuid, state="absent"))
        assert gone["changed"] and lookup() is None
        assert not run_module("libvirt_domain", dict(name=name, uuid=domain_uuid,
                                                     state="absent"))["changed"]
    finally:
        dom = lookup()
        if dom is not None:
            if dom.isActive():
                dom.destroy()
            dom.undefine()


def test_libvirt_domain_refuses_a_bad_uuid():
    result = run_module("libvirt_domain", dict(name="vbtest-bad", uuid="not-a-uuid", memory=64,
                                               vcpus=1, state="defined"))
    assert result.get("failed") and "uuid" in result["msg"].lower()
