#!/usr/bin/env python
"""playbooks/attach_volume.yml beside bench/raw_attach.sh (the same steps with sqlite3, tgtadm
and virsh), a no-op rerun beside the first run, and 20 volumes attached in one play.

All in one run on one host, against a private tgtd (a free control port and loopback portal,
as the tests' own: tests/support/tgtd.py), libvirtd and
a SQLite store in a temporary directory; each round uses a fresh running domain (no guest OS).

    scripts/bench.sh attach_playbook [ROUNDS] [MANY]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support.ansible_run import run_playbook  # noqa: E402
from support.libvirtd import Libvirt  # noqa: E402
from support.tgtd import start_private  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
from attach_floor import raw, settings_for  # noqa: E402


def playbook(name, settings, **extra):
    """Runs one playbook through the tests' runner; returns (seconds, changed count)."""
    # The implicit localhost: attach_volume.yml names no connection (an explicit localhost
    # inventory would mean ssh).
    run = run_playbook(os.path.join(ROOT, name), dict(settings, **extra))
    if not run.ok:
        raise SystemExit("%s failed: %s\n%s" % (name, run.msg, run.stdout[-3000:]))
    return run.seconds, run.changed


def drop_raw_secrets(virt, iqns):
    for iqn in iqns:
        secret = virt.secret_by_usage("%s/1" % iqn)
        if secret is not None:
            secret.undefine()


def main(rounds=3, many=20):
    base = tempfile.mkdtemp(prefix="vbbench-", dir="/var/tmp")
    os.chmod(base, 0o755)
    tgtd = start_private(os.path.join(base, "tgtd"))
    virt = Libvirt()
    raw_conf = os.path.join(base, "raw")
    os.makedirs(raw_conf)
    settings = settings_for(base, tgtd)
    book = "playbooks/attach_volume.yml"
    pairs = [(str(uuid.uuid4()), str(uuid.uuid4())) for dummy in range(rounds)]
    batch = [str(uuid.uuid4()) for dummy in range(many)]
    raw_batch = [str(uuid.uuid4()) for dummy in range(many)]
    every = [v for pair in pairs for v in pair] + batch + raw_batch
    raw_iqns = ["iqn.2010-10.org.openstack:volume-%s" % v
                for v in [p[1] for p in pairs] + raw_batch]
    firsts, reruns, raws = [], [], []

    try:
        playbook("bench/prepare_volumes.yml", settings, bench_volume_ids=every)
        for index, (mine, theirs) in enumerate(pairs):
            dom = virt.define(start=True)
            first, changed = playbook(book, settings, instance_uuid=dom.UUIDString(), volume_id=mine)
            assert changed, "the first run changed nothing"
            again, changed = playbook(book, settings, instance_uuid=dom.UUIDString(), volume_id=mine)
            assert not changed, "the rerun changed %d tasks" % changed
            raws.append(raw(settings, tgtd, theirs, dom, 5000 + index, raw_conf))
            firsts.append(first)
            reruns.append(again)
        dom = virt.define(start=True, ports=many + 2)   # a PCIe root port per hot-plugged disk
        many_play, dummy = playbook("bench/attach_many.yml", settings,
                                    instance_uuid=dom.UUIDString(), bench_volume_ids=batch)
        dom = virt.define(start=True, ports=many + 2)
        start = time.perf_counter()
        for index, volume_id in enumerate(raw_batch):
            raw(settings, tgtd, volume_id, dom, 6000 + index, raw_conf)
        many_raw = time.perf_counter() - start
    finally:
        virt.cleanup()
        drop_raw_secrets(virt, raw_iqns)
        tgtd.stop()
        shutil.rmtree(base, ignore_errors=True)
    f, r, w = (statistics.median(x) for x in (firsts, reruns, raws))
    print("attach one volume to a running domain (QEMU iSCSI, CHAP), median of %d:" % rounds)
    print("  raw script (sqlite3, tgtadm, virsh)   %8.0f ms" % (w * 1000))
    print("  attach_volume.yml, first run          %8.0f ms   %.2fx the raw script" % (f * 1000, f / w))
    print("  attach_volume.yml, no-op rerun        %8.0f ms   %.0f %% of the first run" % (r * 1000, 100 * r / f))
    print("%d volumes to one domain:" % many)
    print("  attach_many.yml, one play             %8.0f ms   %.0f ms a volume, %.2fx the raw script"
          % (many_play * 1000, many_play * 1000 / many, many_play / many_raw))
    print("  raw script, %d times                  %8.0f ms" % (many, many_raw * 1000))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
