"""What the playbook tests share: one record store, the tests' tgtd, a backing dir QEMU
can read, volumes made by the collection's own modules, and readers of every place an
attach leaves a trace (tgtd, the target file, the domain XML, the libvirt secret, the
BDM rows and the volume status)."""

import glob
import os
import sqlite3
import uuid

import pytest

from support.ansible_run import run_module, run_playbook

IQN_PREFIX = "iqn.2010-10.org.openstack:volume-"


class AttachEnv(object):
    def __init__(self, tgtd, virt, base):
        self.tgtd = tgtd
        self.virt = virt
        self.base = base
        self.db_path = os.path.join(base, "records.sqlite")
        self.backing_dir = os.path.join(base, "backing")

    def vars(self, **extra):
        """The playbook-level variables pointing the roles at the test daemons."""
        values = dict(virtblock_tgt_control_port=self.tgtd.control_port,
                      virtblock_target_ip_address=self.tgtd.ip,
                      virtblock_volumes_dir=self.tgtd.volumes_dir,
                      virtblock_tgt_include_file=self.tgtd.include_file,
                      virtblock_backing_dir=self.backing_dir,
                      virtblock_db_path=self.db_path,
                      virtblock_iscsi_initiator="qemu")
        values.update(extra)
        return values

    def new_volume(self, size_mib=8):
        """A volume made as Cinder would: its bytes (volume module), its record, available."""
        volume_id = str(uuid.uuid4())
        made = run_module("volume", dict(volume_id=volume_id, size_mib=size_mib,
                                         backing_dir=self.backing_dir))
        assert not made["failed"], made.get("msg")
        recorded = run_module("volume_state", dict(volume_id=volume_id, size=1,
                                                   db_path=self.db_path))
        assert not recorded["failed"], recorded.get("msg")
        return volume_id

    def attach(self, instance, volume_id, **kwargs):
        extra = dict(kwargs.pop("extra", {}))
        return run_playbook("attach_volume.yml", self.vars(
            instance_uuid=instance, volume_id=volume_id, **extra), **kwargs)

    def detach(self, instance, volume_id, **kwargs):
        extra = dict(kwargs.pop("extra", {}))
        return run_playbook("detach_volume.yml", self.vars(
            instance_uuid=instance, volume_id=volume_id, **extra), **kwargs)

    # ---- where an attach leaves traces ------------------------------------------
    def in_tgtd(self, volume_id):
        return (IQN_PREFIX + volume_id) in self.tgtd.tgtadm("--op", "show", "--mode", "target")

    def target_file(self, volume_id):
        path = os.path.join(self.tgtd.volumes_dir, "volume-" + volume_id)
        return path if os.path.exists(path) else None

    def chap_secret(self, volume_id):
        """The CHAP password kept in the target file (to check it is shown nowhere)."""
        with open(self.target_file(volume_id)) as handle:
            for line in handle:
                parts = line.split()
                if parts and parts[0] == "incominguser":
                    return parts[2]
        return None

    def libvirt_secret(self, volume_id):
        return self.virt.secret_by_usage("%s%s/1" % (IQN_PREFIX, volume_id))

    def query(self, sql, *args):
        conn = sqlite3.connect(self.db_path)
        try:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, args)]
        finally:
            conn.close()

    def bdms(self, volume_id):
        return self.query("SELECT * FROM block_device_mapping WHERE volume_id = ? AND deleted = 0",
                          volume_id)

    def volume_status(self, volume_id):
        return self.query("SELECT status FROM volumes WHERE id = ?", volume_id)[0]["status"]

    def traces(self, volume_id, dom=None):
        """Everything an attach of *volume_id* may leave; all false/empty when clean."""
        found = dict(tgtd=self.in_tgtd(volume_id), target_file=bool(self.target_file(volume_id)),
                     libvirt_secret=self.libvirt_secret(volume_id) is not None,
                     bdms=len(self.bdms(volume_id)), status=self.volume_status(volume_id))
        if dom is not None:
            found["disk"] = any(volume_id in xml for xml in self.domain_xmls(dom))
        return found

    def domain_xmls(self, dom):
        try:
            xmls = [self.virt.config_xml(dom)]
            if dom.isActive():
                xmls.append(self.virt.live_xml(dom))
            return xmls
        except self.virt.libvirt.libvirtError:
            return []   # the domain is gone


CLEAN = dict(tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available")


@pytest.fixture
def attach_env(tgtd, virt, volume_dir):
    env = AttachEnv(tgtd, virt, volume_dir)
    yield env
    # Leave tgtd and libvirt as found: targets and secrets of this test's volumes go.
    for path in glob.glob(os.path.join(env.backing_dir, "volume-*")):
        volume_id = os.path.basename(path)[len("volume-"):]
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))
        secret = env.libvirt_secret(volume_id)
        if secret is not None:
            secret.undefine()
