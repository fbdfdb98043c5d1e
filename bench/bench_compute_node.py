#!/usr/bin/env python
"""Kernel initiator vs QEMU's initiator on one compute node (not a test).

Boots the compute-node guest (tests/support/compute_node.py: a TCG guest reached over SSH,
Debian's kernel with iscsi_tcp, nested libvirtd), then runs playbooks/attach_volume.yml and
detach_volume.yml against three hosts (storage and store = this machine, compute1 = the
guest) with iscsi_initiator=host (os-brick login, type='block' disk) and with
iscsi_initiator=qemu (QEMU opens the target, nothing on the host), each ROUNDS times on
fresh volumes, and prints the seconds per attach/detach and how many module runs each
needed on the compute node. Python in the guest is 15-40x slower than here, so the count of
compute-node module runs is the figure that matters.

    scripts/bench.sh compute_node [ROUNDS] [PATHS]      (PATHS: the order, default host,qemu)

The first playbook on a freshly booted guest also pays for a cold cache (Python and
os-brick read over 9p): swap PATHS to see how much.
"""

import os
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support import compute_node as cn  # noqa: E402
from support.ansible_run import run_playbook  # noqa: E402
from support.attach_env import AttachEnv  # noqa: E402
from support.tgtd import start_private  # noqa: E402


def on_compute(run, node):
    """Module runs (tasks not skipped) delegated to the compute node. A no_log task's
    result is censored down to ansible_host & co. of the delegated vars, so the node is
    also known by its SSH address."""
    count = 0
    for task in run.tasks:
        delegated = task["result"].get("_ansible_delegated_vars") or {}
        there = (delegated.get("ansible_delegated_host") == cn.HOSTNAME
                 or delegated.get("ansible_host") == node.ssh_ip)
        if task["status"] != "skipped" and there:
            count += 1
    return count


def play(name, env, ansible_env, variables, node):
    done = run_playbook(name, env.vars(**variables), env=ansible_env, timeout=3600)
    if not done.ok:
        raise SystemExit("%s failed: %s\n%s" % (name, done.msg, done.stdout[-3000:]))
    return done.seconds, on_compute(done, node)


def main(rounds, paths):
    work = tempfile.mkdtemp(prefix="vbbench-compute-")
    os.chmod(work, 0o755)
    tgtd = start_private(os.path.join(work, "tgtd"))
    node = None
    try:
        node = cn.start(tgtd, os.path.join(work, "node"))
        inventory = node.write_inventory(os.path.join(work, "inventory.json"))
        ansible_env = node.ansible_env(inventory)
        instance = node.define_domain()
        env = AttachEnv(tgtd, None, os.path.join(work, "store"))
        figures = {}
        for initiator in paths:
            for dummy in range(rounds):
                volume_id = env.new_volume()
                common = dict(virtblock_storage_host="storage", virtblock_compute_host=cn.HOSTNAME,
                              virtblock_store_host="store", virtblock_iscsi_initiator=initiator,
                              virtblock_target_ip_address=cn.GUEST_PORTALS[0], disk_bus="scsi",
                              instance_uuid=instance, volume_id=volume_id)
                attach = play("attach_volume.yml", env, ansible_env, common, node)
                detach = play("detach_volume.yml", env, ansible_env,
                              dict(common, detach_volume_detach_timeout=5), node)
                figures.setdefault(initiator, []).append((attach, detach))
        print("compute node: TCG guest over SSH, %d round(s) each" % rounds)
        print("%-6s %10s %10s %14s %14s" % ("path", "attach s", "detach s", "attach runs", "detach runs"))
        for initiator, rows in figures.items():
            print("%-6s %10.1f %10.1f %14d %14d" % (
                initiator, statistics.median(r[0][0] for r in rows), statistics.median(r[1][0] for r in rows),
                rows[0][0][1], rows[0][1][1]))
    finally:
        if node is not None:
            node.close()
        tgtd.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1,
         sys.argv[2].split(",") if len(sys.argv) > 2 else ["host", "qemu"])
