"""28 volumes on one instance's virtio bus, as Nova allows (no 26-disk cap unless
[compute] max_disk_devices_to_attach is set): the names bdm_record's rule reserves go
vdz -> vdaa -> vdab, and libvirt takes every disk into the domain's persistent config.
Driver level (no ansible-playbook per disk) to keep the suite fast; the domain is
stopped, as for Nova's attach to a SHUTOFF instance."""

import os
import xml.etree.ElementTree as ET

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import Store
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import guest_disks, records
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names, disk_config
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (
    COLLECTION_TEMPLATES, render_file)

from support.libvirtd import URI, make_volume

COUNT = 28


def test_28_virtio_volumes_on_one_instance(virt, volume_dir, tmp_path):
    dom = virt.define()
    instance = dom.UUIDString()
    store = Store(path=str(tmp_path / "records.sqlite"))
    names = []
    for dummy in range(COUNT):
        volume_id, info = make_volume(volume_dir, size=1 << 20)
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
        names.append(dev)
    assert names[25:] == ["vdz", "vdaa", "vdab"]
    config = ET.fromstring(virt.config_xml(dom))
    devs = [t.get("dev") for t in config.findall("devices/disk/target") if t.get("bus") == "virtio"]
    assert sorted(devs) == sorted(names) and len(devs) == COUNT
