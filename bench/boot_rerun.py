#!/usr/bin/env python
"""Benchmark (not a test): a boot-from-volume rerun against the first boot (issue 16 item 5).

The boot rows of bench/attach_floor.py on their own, so they can be measured quickly:
boot_from_volume.yml with a blank 1 GiB root volume, its no-op rerun, and the delete,
ROUNDS times (default 3); prints the medians, the module-task counts of each and the
rerun as a share of the first boot. Everything against a private tgtd and a SQLite store
in a temporary directory; every domain is vbtest-<random> and deleted.

    . scripts/env.sh; python bench/boot_rerun.py [ROUNDS]
"""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attach_floor import ROOT, Run, boot_server, median, settings_for  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests"))
from support import ports  # noqa: E402
from support.tgtd import Tgtd  # noqa: E402


def main(rounds=3):
    base = tempfile.mkdtemp(prefix="vbbench-", dir="/var/tmp")
    os.chmod(base, 0o755)
    with ports.machine_lock():
        tgtd = Tgtd(os.path.join(base, "tgtd"))
        tgtd.start()
    settings = settings_for(base, tgtd)
    boots, reruns = [], []
    try:
        for dummy in range(rounds):
            name, server = boot_server(base)
            try:
                boot = Run("playbooks/boot_from_volume.yml", dict(settings, virtblock_server=server))
                rerun = Run("playbooks/boot_from_volume.yml", dict(settings, virtblock_server=server))
                assert not rerun.changed, "the boot rerun changed %d tasks" % rerun.changed
            finally:
                Run("playbooks/delete_instance.yml", dict(settings, virtblock_instance_name=name))
            boots.append((boot.seconds, boot.shape()))
            reruns.append((rerun.seconds, rerun.shape()))
    finally:
        tgtd.stop()
        shutil.rmtree(base, ignore_errors=True)
    b, r = median([run[0] for run in boots]), median([run[0] for run in reruns])
    print("boot from a blank volume (median of %d): first %.0f ms (%d module tasks), "
          "rerun %.0f ms (%d module tasks) = %.0f %% of the first"
          % (rounds, b * 1000, boots[-1][1][0], r * 1000, reruns[-1][1][0], 100 * r / b))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
