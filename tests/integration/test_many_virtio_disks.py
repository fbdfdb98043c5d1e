"""28 volumes on one instance's virtio bus, as Nova allows (no 26-disk cap unless
[compute] max_disk_devices_to_attach is set): the names bdm_record's rule reserves go
vdz -> vdaa -> vdab, and libvirt takes every disk. Driver level (no ansible-playbook per
disk) to keep the suite fast: once into a stopped domain's persistent config (Nova's
attach to a SHUTOFF instance), once hot-plugged into a running guest that sees them."""

import os
import re
import xml.etree.ElementTree as ET

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import Store
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import guest_disks, records
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names, disk_config
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (
    COLLECTION_TEMPLATES, render_file)

from support.guest import Console
from support.libvirtd import URI, make_volume

COUNT = 28


def _attach(store, instance, volume_id, info):
    """Nova's reserve_block_device_name, then the libvirt attach with that name."""
    row = store.run(lambda tx: records.reserve_bdm(tx, dict(
        instance_uuid=instance, volume_id=volume_id, disk_bus="virtio")))[2]
    dev = device_names.strip_dev(row["device_name"])
    xml = render_file(os.path.join(COLLECTION_TEMPLATES, "libvirt_disk.xml.j2"),
                      disk_config.build(info, volume_id, "virtio", dev=dev))
    changed = guest_disks.set_disk(dict(
        uri=URI, domain=instance, state="attached", connection_info=info,
        iscsi_initiator="host", disk_xml=xml, device=row["device_name"], rbd_key=None),
        volume_id, check_mode=False)[0]
    assert changed
    return dev


def test_28_virtio_volumes_on_one_instance(virt, volume_dir, tmp_path):
    dom = virt.define()
    instance = dom.UUIDString()
    store = Store(path=str(tmp_path / "records.sqlite"))
    names = []
    for dummy in range(COUNT):
        volume_id, info = make_volume(volume_dir, size=1 << 20)
        names.append(_attach(store, instance, volume_id, info))
    assert names[25:] == ["vdz", "vdaa", "vdab"]
    config = ET.fromstring(virt.config_xml(dom))
    devs = [t.get("dev") for t in config.findall("devices/disk/target") if t.get("bus") == "virtio"]
    assert sorted(devs) == sorted(names) and len(devs) == COUNT


def test_28_virtio_volumes_hot_plugged_into_a_running_guest(
        virt, guest_image, volume_dir, tmp_path):
    """The same names on a RUNNING TCG guest (q35, one pcie-root-port per disk, as
    hot-plugged PCI devices need): each disk attached live and persistent, and the guest's
    kernel sees all 28, each with its serial (cut to 20 characters) and its own bytes."""
    kernel, initrd = guest_image
    console = Console(os.path.join(volume_dir, "console.log"))
    dom = virt.define(start=True, memory=256, ports=COUNT + 2, boot=(
        "<kernel>%s</kernel><initrd>%s</initrd><cmdline>console=ttyS0 panic=-1 quiet</cmdline>"
        % (kernel, initrd)), serial="<serial type='file'><source path='%s'/><target port='0'/>"
        "</serial>" % console.path)
    console.wait_for("VBTEST-READY", timeout=120)
    store = Store(path=str(tmp_path / "records.sqlite"))
    volumes = {}
    for index in range(COUNT):
        volume_id, info = make_volume(volume_dir, size=1 << 20)
        with open(info["data"]["device_path"], "r+b") as handle:
            handle.write(b"vbvol-%02d" % index)
        dev = _attach(store, dom.UUIDString(), volume_id, info)
        volumes[volume_id[:20]] = (dev, "vbvol-%02d" % index)
    assert [volumes[v][0] for v in volumes][25:] == ["vdz", "vdaa", "vdab"]
    live = ET.fromstring(virt.live_xml(dom))
    assert len([t for t in live.findall("devices/disk/target") if t.get("bus") == "virtio"]) == COUNT
    # the guest: one VBTEST-DISK line per disk, its serial and its first bytes
    # the guest reports each disk as its kernel finds it, not in the order they were
    # plugged: wait for every serial
    for serial in volumes:
        console.wait_for(r"VBTEST-DISK \S+ serial=%s " % re.escape(serial), timeout=120)
    seen = dict((serial, (name, data)) for name, serial, data in re.findall(
        r"VBTEST-DISK (\S+) serial=(\S+) data=(\S+)", console.text()))
    assert sorted(seen) == sorted(volumes)
    for serial, (dummy, marker) in volumes.items():
        assert seen[serial][1].startswith(marker), (serial, seen[serial])
    assert {"vdaa", "vdab"} <= set(name for name, dummy in seen.values())
