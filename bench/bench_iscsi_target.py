#!/usr/bin/env python
"""Benchmark (not a test): apply one iSCSI target with 1, 100 and 1,000 targets present.

Measures what iscsi_target does on the storage host for a first export of one volume —
part: fill secrets, parse, ask tgtd for its targets, write the file atomically, create
the target, its LUN 1, CHAP account and ACL — in-process, against a private tgtd
(a free control port and loopback portal, as the tests' own: tests/support/tgtd.py). For comparison it times Cinder's way,
`tgt-admin --update IQN`, on the same tgtd. Run: scripts/bench.sh iscsi_target
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config  # noqa: E402
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import target_iqn  # noqa: E402
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import TargetExport  # noqa: E402
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin  # noqa: E402
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (  # noqa: E402
    COLLECTION_TEMPLATES, render_file)
from support.tgtd import start_private  # noqa: E402

SAMPLES = 20


def apply_one(admin, base, backing):
    volume_id = str(uuid.uuid4())
    iqn = target_iqn(None, volume_id)
    rendered = render_file(os.path.join(COLLECTION_TEMPLATES, "tgt_target.conf.j2"),
                           tgt_config.template_vars(iqn, backing))
    start = time.perf_counter()
    export = TargetExport(admin, os.path.join(base, "volumes"), volume_id, iqn)
    text, spec, dummy = export.desired(rendered, True)
    changed = export.create_fast(text, spec) is not None
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    again = export.plan_present(text, spec)[0]
    noop = time.perf_counter() - start
    assert changed and not again
    return elapsed, noop


def tgt_admin_update(tgtd, base, backing):
    volume_id = str(uuid.uuid4())
    iqn = target_iqn(None, volume_id)
    conf = os.path.join(base, "cinder-%s.conf" % volume_id)
    with open(conf, "w") as handle:
        handle.write("<target %s>\n    backing-store %s\n    driver iscsi\n    write-cache on\n</target>\n"
                     % (iqn, backing))
    start = time.perf_counter()
    subprocess.run(["tgt-admin", "-C", str(tgtd.control_port), "-c", conf, "--update", iqn], check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    base = tempfile.mkdtemp(prefix="bench-tgt-")
    backing = os.path.join(base, "lun")
    with open(backing, "wb") as handle:
        handle.truncate(1024 * 1024)
    tgtd = start_private(os.path.join(base, "tgtd"))
    admin = TgtAdmin(tgtd.control_port)
    present = 0
    rows = []
    try:
        for wanted in (1, 100, 1000):
            while present < wanted:
                apply_one(admin, base, backing)
                present += 1
            applies, noops = zip(*[apply_one(admin, base, backing) for dummy in range(SAMPLES)])
            present += SAMPLES
            cinder = [tgt_admin_update(tgtd, base, backing) for dummy in range(5)]
            present += 5
            rows.append((wanted, statistics.median(applies) * 1000, max(applies) * 1000,
                         statistics.median(noops) * 1000, statistics.median(cinder) * 1000))
    finally:
        tgtd.stop()
    print("| targets present | apply one (median ms) | apply one (max ms) | no-op check (median ms) "
          "| tgt-admin --update IQN (median ms) |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| %d | %.2f | %.2f | %.2f | %.1f |" % row)


if __name__ == "__main__":
    main()
