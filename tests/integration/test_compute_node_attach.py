"""The attach and detach playbooks, unchanged, against three hosts: storage = this
machine (tgtd), compute1 = the compute-node guest over SSH (kernel initiator through
os-brick, nested libvirtd), store = this machine (SQLite), with iscsi_initiator=host (auto
in the first test: compute1 has a kernel initiator), and os-brick multipath over two portals."""

import os
import uuid

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
        # iscsi_initiator auto (the role's default), decided on compute1: it has a kernel
        # initiator, so the attach takes the host path (this machine, without iscsi_tcp,
        # would take qemu: test_prerequisites). The by-path device_path below says host.
        run = ok(env.attach(instance, volume_id, extra=three_hosts(env, virtblock_iscsi_initiator="auto"),
                            env=ansible_env, timeout=LONG))
        assert run.changed > 0
        assert "path: host]" in run.stdout, run.stdout[-3000:]     # the play says which path auto took
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


def test_multipath_connect_builds_the_map_over_two_portals_and_disconnect_removes_it(
        compute_node, compute_inventory, tgtd, tmp_path):
    env = compute_inventory[1]
    volume_id = str(uuid.uuid4())
    backing = tmp_path / "backing"
    backing.write_bytes(MARKER + b"\0" * ((1 << 20) - len(MARKER)))
    # Nova's connector with [libvirt] volume_use_multipath = true, Cinder's export on two
    # portals (guest-side addresses; tgtd listens on the two loopback ones).
    connector = run_module("connector_info", dict(multipath=True), host="compute1", env=env, timeout=LONG)
    assert connector["connector"]["multipath"] is True
    # What prerequisites and the attach role's iscsi_initiator=auto read: this host can.
    assert connector["kernel_initiator"] is True and connector["multipathd"] is True
    assert connector["iscsi_initiator"] == "host"
    made = run_module("iscsi_target", tgtd.module_args(
        volume_id=volume_id, backing_store=str(backing), target_ip_address=GUEST_PORTALS[0],
        target_secondary_ip_addresses=[GUEST_PORTALS[1]],
        listen_ip_addresses=compute_node.portal_ips, connector=connector["connector"]))
    assert not made["failed"], made.get("msg")
    info = made["connection_info"]
    assert info["data"]["target_portals"] == compute_node.portals
    disks_before = compute_node.scsi_disks()
    try:
        args = dict(connection_info=info, use_multipath=True)
        first = run_module("volume_connection", args, host="compute1", env=env, timeout=LONG)
        assert not first["failed"], first.get("msg")
        device = first["device_path"]
        assert device.startswith("/dev/mapper/")
        # Two paths (one per portal) under one map, and the map holds the volume's data.
        paths = compute_node.ssh("ls /sys/block/$(basename $(readlink -f %s))/slaves" % device).stdout.split()
        assert len(paths) == 2 and all(p.startswith("sd") for p in paths)
        assert compute_node.ssh("head -c %d %s" % (len(MARKER), device)).stdout == MARKER.decode()
        assert os.path.basename(device) in compute_node.multipath_maps()
        again = run_module("volume_connection", args, host="compute1", env=env, timeout=LONG)
        assert again["changed"] is False and again["device_path"] == device
        # The disconnect finds no device link (udev lost them, or an earlier disconnect
        # stopped half-way): the sessions in sysfs still say it is connected, and os-brick
        # removes the paths and the map and logs out, as Nova's disconnect_volume does.
        compute_node.ssh("rm -f /dev/disk/by-path/*volume-%s-lun-*" % volume_id)
        out = run_module("volume_connection", dict(args, state="disconnected"), host="compute1", env=env, timeout=LONG)
        assert not out["failed"], out.get("msg")
        assert out["changed"] is True
        assert os.path.basename(device) not in compute_node.multipath_maps()
        assert compute_node.scsi_disks() == disks_before
        assert info["data"]["target_iqn"] not in compute_node.sessions()
    finally:
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))
