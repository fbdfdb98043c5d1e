"""The boot playbook tests' site: the playbooks' variables for one test (everything under
a throw-away directory, the tests' tgtd), its server requests, readers of the store and of
the domain, and the cleanup of what a failed test may leave."""

import os
import sqlite3
import uuid

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import (
    derived_instance_uuid)
from support.guest import make_root_image
from support.ansible_run import run_playbook
from support.libvirtd import remove_domains

CMDLINE = "console=ttyS0 panic=-1 quiet"


class Site(object):
    """The playbooks' variables for one test, everything under a throw-away directory."""

    def __init__(self, tgtd, base, kernel=None, initrd=None):
        self.base = base
        self.tgtd = tgtd
        self.kernel, self.initrd = kernel, initrd
        self.images = os.path.join(base, "images")
        self.backing = os.path.join(base, "backing")
        self.instances = os.path.join(base, "instances")
        self.db = os.path.join(base, "records.sqlite")
        os.makedirs(self.images)
        self.names = []
        self.vars = {
            "virtblock_tgt_control_port": tgtd.control_port,
            "virtblock_target_ip_address": tgtd.ip,
            "virtblock_volumes_dir": tgtd.volumes_dir,
            "virtblock_tgt_include_file": tgtd.include_file,
            "virtblock_backing_dir": self.backing,
            "virtblock_images_dir": self.images,
            "virtblock_instances_path": self.instances,
            "virtblock_db_path": self.db,
        }

    def image(self, marker):
        image_id = str(uuid.uuid4())
        make_root_image(os.path.join(self.images, image_id), marker)
        return image_id

    def server(self, bdms, image=None, boot_kernel=True, root=None):
        """*root*: how the guest's /init finds its root disk - ``root=/dev/vda`` or
        ``vbtest.root_serial=<volume id>``."""
        name = "vbtest-%s" % uuid.uuid4().hex[:10]
        self.names.append(name)
        server = {"name": name, "memory": 256, "vcpus": 1, "block_device_mapping_v2": bdms}
        if image:
            server["image"] = image
        if boot_kernel and self.kernel:
            server.update(kernel=self.kernel, ramdisk=self.initrd,
                          cmdline="%s %s" % (CMDLINE, root or "root=/dev/vda"))
        return server

    def boot(self, server, check=False, **kwargs):
        """*kwargs*: run_playbook's (fault_at/fault_command, kill_at, ...)."""
        return run_playbook("boot_from_volume.yml", dict(self.vars, virtblock_server=server),
                            check=check, inventory="localhost,", **kwargs)

    def delete(self, name):
        return run_playbook("delete_instance.yml", dict(self.vars, virtblock_instance_name=name),
                            inventory="localhost,")

    def rows(self, sql, *args):
        if not os.path.exists(self.db):
            return []
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, args)]

    def bdms(self, instance_uuid):
        return self.rows("select * from block_device_mapping where instance_uuid = ? and deleted = 0"
                         " order by device_name", instance_uuid)

    def volume(self, volume_id):
        found = self.rows("select * from volumes where id = ?", volume_id)
        return found[0] if found else None


def instance_uuid(name):
    return derived_instance_uuid(name)


def cleanup(handle):
    # A failed test may leave its domains and their iSCSI secrets: remove those only.
    import libvirt
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    conn = libvirt.open("qemu:///system")
    try:
        volume_ids = [r["volume_id"] for r in handle.rows(
            "select volume_id from block_device_mapping where volume_id is not null")]
        remove_domains(conn, handle.names)
        for secret in conn.listAllSecrets():
            if any(v in (secret.usageID() or "") for v in volume_ids):
                secret.undefine()
    finally:
        conn.close()


def domain_xml(name):
    import libvirt
    conn = libvirt.open("qemu:///system")
    try:
        dom = conn.lookupByName(name)
        return dom.isActive(), dom.XMLDesc(0)
    except libvirt.libvirtError:
        return None, None
    finally:
        conn.close()


@pytest.fixture
def site(tgtd, libvirtd_running, guest_image, volume_dir):
    """A site whose servers boot the tests' guest kernel."""
    handle = Site(tgtd, volume_dir, *guest_image)
    yield handle
    cleanup(handle)


@pytest.fixture
def bare_site(tgtd, libvirtd_running, volume_dir):
    """A site whose servers have no kernel (the domain runs its firmware: no guest OS)."""
    handle = Site(tgtd, volume_dir)
    yield handle
    cleanup(handle)
