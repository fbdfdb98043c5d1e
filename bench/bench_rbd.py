#!/usr/bin/env python
"""RBD beside iSCSI (not a test): playbooks/attach_volume.yml for an RBD volume (rbd_connection,
libvirt network disk with the ceph secret) and for an iSCSI one (connector, tgt export, QEMU
iSCSI with CHAP), each to a fresh running domain (no guest OS); then a 1 GiB image made into
a volume by a copy-on-write clone of its Glance RBD snapshot (image_location) and by a copy
(qemu-img convert of the image file into RBD), as Cinder does with and without Glance's RBD store.

A private Ceph (tests/support/ceph.py's, on a free loopback address), a private tgtd, libvirtd,
a SQLite store, all in a temporary directory.

    scripts/bench.sh rbd [ROUNDS]
"""

import os
import shutil
import statistics
import sys
import tempfile
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support import ceph as ceph_support  # noqa: E402
from support.libvirtd import Libvirt  # noqa: E402
from support.ansible_run import run_module, run_playbook  # noqa: E402
from support.tgtd import start_private  # noqa: E402

GiB = 1 << 30


def playbook(name, settings, **extra):
    """Seconds one playbook takes, through the tests' runner."""
    # the implicit localhost (local connection): these playbooks name no connection
    done = run_playbook(os.path.join(ROOT, name), dict(settings, **extra))
    if not done.ok:
        raise SystemExit("%s failed: %s\n%s" % (name, done.msg, done.stdout[-3000:]))
    return done.seconds


def module(name, args):
    """Seconds one module task takes, through the tests' runner."""
    done = run_module(name, args)
    if done["failed"]:
        raise SystemExit("%s failed: %s\n%s" % (name, done.get("msg"), done["_stdout"][-3000:]))
    return done["_seconds"]


def main(rounds=3):
    base = tempfile.mkdtemp(prefix="vbbench-rbd-", dir="/var/tmp")
    os.chmod(base, 0o755)
    if ceph_support.missing():
        raise SystemExit("no Ceph: %s" % ceph_support.missing())
    cluster = ceph_support._start(base)          # pylint: disable=protected-access
    tgtd = start_private(os.path.join(base, "tgtd"))
    virt = Libvirt()
    common = {"virtblock_db_path": os.path.join(base, "records.sqlite")}
    iscsi = dict(common, virtblock_backing_dir=os.path.join(base, "backing"),
                 virtblock_volumes_dir=tgtd.volumes_dir, virtblock_tgt_include_file=tgtd.include_file,
                 virtblock_tgt_control_port=tgtd.control_port, virtblock_target_ip_address=tgtd.ip)
    rbd = dict(common, virtblock_backend="rbd",
               virtblock_rbd=dict(rbd_ceph_conf=cluster.conf, rbd_user=cluster.user, rbd_key=cluster.key))
    book = "playbooks/attach_volume.yml"
    rbd_ids = [str(uuid.uuid4()) for dummy in range(rounds)]
    iscsi_ids = [str(uuid.uuid4()) for dummy in range(rounds)]
    times = {"rbd": [], "iscsi": []}
    try:
        playbook("bench/prepare_rbd_volumes.yml", rbd, bench_volume_ids=rbd_ids)
        playbook("bench/prepare_volumes.yml", iscsi, bench_volume_ids=iscsi_ids)
        for rbd_id, iscsi_id in zip(rbd_ids, iscsi_ids):
            dom = virt.define(start=True)
            times["rbd"].append(playbook(book, rbd, instance_uuid=dom.UUIDString(), volume_id=rbd_id))
            dom = virt.define(start=True)
            times["iscsi"].append(playbook(book, iscsi, instance_uuid=dom.UUIDString(), volume_id=iscsi_id))

        image = os.path.join(base, "image.raw")
        with open(image, "wb") as handle:        # 1 GiB, 64 MiB of it written
            for offset in range(0, GiB, 16 << 20):
                handle.seek(offset)
                handle.write(os.urandom(1 << 20))
            handle.truncate(GiB)
        image_id = str(uuid.uuid4())
        cluster.glance_image(image, image_id)
        with open(os.path.join(cluster.path, "fsid")) as handle:
            fsid = handle.read().strip()
        args = dict(backend="rbd", rbd_ceph_conf=cluster.conf, rbd_user=cluster.user,
                    rbd_keyring=cluster.keyring)
        clones, copies = [], []
        for dummy in range(rounds):
            clones.append(module("volume", dict(args, volume_id=str(uuid.uuid4()),
                                                image_location="rbd://%s/images/%s/snap" % (fsid, image_id))))
            copies.append(module("volume", dict(args, volume_id=str(uuid.uuid4()), image=image)))
    finally:
        virt.cleanup()
        tgtd.stop()
        ceph_support._stop(cluster.path)          # pylint: disable=protected-access
        shutil.rmtree(base, ignore_errors=True)
    r, i = statistics.median(times["rbd"]), statistics.median(times["iscsi"])
    c, p = statistics.median(clones), statistics.median(copies)
    print("attach_volume.yml, one volume to a running domain, median of %d:" % rounds)
    print("  rbd (rbd_connection, network disk, ceph secret)   %8.0f ms" % (r * 1000))
    print("  iSCSI (connector, tgt export, QEMU iSCSI + CHAP)  %8.0f ms   rbd is %.2fx" % (i * 1000, r / i))
    print("a 1 GiB image (64 MiB written) into a volume, volume module, median of %d:" % rounds)
    print("  clone of images/<id>@snap (Glance RBD store)      %8.0f ms" % (c * 1000))
    print("  copy, qemu-img convert of the file into RBD        %8.0f ms   clone is %.2fx" % (p * 1000, c / p))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
