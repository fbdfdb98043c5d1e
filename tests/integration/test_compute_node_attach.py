"""The attach and detach playbooks, unchanged, against three hosts: storage = this
machine (tgtd), compute1 = the compute-node guest over SSH (kernel initiator through
os-brick, nested libvirtd), store = this machine (SQLite), with iscsi_initiator=host."""

import os

import pytest

from support.ansible_run import run_module
from support.attach_env import AttachEnv
from support.compute_node import GUEST_PORTALS

pytestmark = pytest.mark.slow

MARKER = b"VBTEST-WRITTEN-ON-THE-STORAGE-HOST"
# Python in the TCG guest is 15-40x slower than here: a bound, not a timing assertion.
LONG = 1800


@pytest.fixture
def env(tgtd, tmp_path):
    base = str(tmp_path)
    os.chmod(base, 0o755)
    env = AttachEnv(tgtd, None, base)
    yield env
    for name in os.listdir(env.backing_dir) if os.path.isdir(env.backing_dir) else []:
        run_module("iscsi_target", tgtd.module_args(volume_id=name[len("volume-"):], state="absent"))


def three_hosts(env, **extra):
    """The playbook variables for storage / compute1 / store (iscsi_initiator forced to host
    unless *extra* says otherwise)."""
    values = dict(virtblock_storage_host="storage", virtblock_compute_host="compute1",
                  virtblock_store_host="store", virtblock_iscsi_initiator="host",
                  # The address the compute node reaches the portal by (QEMU's guestfwd),
                  # not the loopback address tgtd binds: a NAT'ed storage network.
                  virtblock_target_ip_address=GUEST_PORTALS[0], disk_bus="scsi")
    values.update(extra)
    return values


def ok(run):
    assert run.ok, "%s\n%s" % (run.msg, run.stdout[-4000:])
    return run


def by_path(volume_id):
    return "/dev/disk/by-path/ip-%s:3260-iscsi-iqn.2010-10.org.openstack:volume-%s-lun-1" % (
        GUEST_PORTALS[0], volume_id)


def assert_nothing_left(compute_node, env, volume_id, disks_before):
    assert volume_id not in compute_node.sessions()
    assert volume_id not in compute_node.nodes()
    assert compute_node.scsi_disks() == disks_before          # no stale /dev/sdX
    assert not env.in_tgtd(volume_id) and env.target_file(volume_id) is None
    assert env.bdms(volume_id) == [] and env.volume_status(volume_id) == "available"


def test_attach_reads_the_storage_data_in_the_compute_node_and_detach_cleans_up(
        compute_node, compute_inventory, env):
    _inventory, ansible_env = compute_inventory
    instance = compute_node.define_domain()
    volume_id = env.new_volume()
    with open(os.path.join(env.backing_dir, "volume-" + volume_id), "r+b") as handle:
        handle.seek(4096)
        handle.write(MARKER)
    disks_before = compute_node.scsi_disks()
    try:
        run = ok(env.attach(instance, volume_id, extra=three_hosts(env), env=ansible_env, timeout=LONG))
        assert run.changed > 0
        [bdm] = env.bdms(volume_id)
        assert '"device_path": "%s"' % by_path(volume_id) in bdm["connection_info"]
        assert env.volume_status(volume_id) == "in-use"
        # The block device in the compute node holds what the storage host wrote.
        data = compute_node.ssh("dd if=%s bs=4096 skip=1 count=1 status=none | head -c %d"
                                % (by_path(volume_id), len(MARKER))).stdout
        assert data == MARKER.decode()
        assert "iqn.2010-10.org.openstack:volume-%s" % volume_id in compute_node.sessions()
        xml = compute_node.domain_xml(instance)
        assert "<source dev='%s'" % by_path(volume_id) in xml
        assert "<serial>%s</serial>" % volume_id in xml and "bus='scsi'" in xml

        again = ok(env.attach(instance, volume_id, extra=three_hosts(env), env=ansible_env, timeout=LONG))
        assert again.changed == 0

        ok(env.detach(instance, volume_id, extra=three_hosts(env, detach_volume_detach_timeout=5),
                      env=ansible_env, timeout=LONG))
        assert volume_id not in compute_node.domain_xml(instance)
        assert_nothing_left(compute_node, env, volume_id, disks_before)
    finally:
        compute_node.remove_domain(instance)


def test_failure_at_the_libvirt_step_on_the_compute_node_rolls_back_both_hosts(
        compute_node, compute_inventory, env):
    _inventory, ansible_env = compute_inventory
    instance = compute_node.define_domain()
    volume_id = env.new_volume()
    disks_before = compute_node.scsi_disks()
    try:
        run = env.attach(instance, volume_id, extra=three_hosts(env), env=ansible_env,
                         fault_at="Attach the disk to the domain",
                         fault_command=compute_node.destroy_domain_command(instance), timeout=LONG)
        assert run.rc != 0 and run.failed == 1
        assert run.msg == "Instance %s could not be found." % instance
        assert not [t for t in run.tasks if t["status"] == "failed" and t.get("ignored")]
        assert_nothing_left(compute_node, env, volume_id, disks_before)
    finally:
        compute_node.remove_domain(instance)
