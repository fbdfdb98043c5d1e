#!/usr/bin/env python
"""Benchmark (not a test): where an attach's time goes, beside Ansible's own floor.

Prints in one run, side by side (medians of ROUNDS rounds, ratios):

- the raw-command script (bench/raw_attach.sh: sqlite3, tgtadm, virsh);
- attach_volume.yml, first run, and Ansible's FLOOR for the task shape the role really
  ran: the same number of module tasks (as ``ansible.builtin.ping``, delegated the same
  way) and of set_fact/debug/fail tasks, in one play; every ping is checked to have
  answered ``pong`` (a wrongly discovered interpreter would fail the first and make the
  floor look cheap);
- the no-op rerun and the floor of its own shape;
- N volumes attached to one instance in one play (bench/attach_many.yml), N from
  VIRTBLOCK_BENCH_MANY (default "1,5,20"), against N single first runs;
- the same N volumes in ONE batch (attach_volume.yml with ``volumes``: each step once for
  the list), median of ROUNDS rounds, against N single first runs and the play above,
  and its no-op rerun;
- under mitogen's strategy (mitogen_linear; when the mitogen package is installed): the
  first run, the rerun and the floor of the first run's shape;
- boot from volume (a blank 1 GiB root volume) first run and rerun
  (VIRTBLOCK_BENCH_BOOT_ROUNDS, default 2; 0 skips it);
- a per-module table: each module task's own time beyond a ping task's;
- each module's import closure (module_utils included) beyond ansible's own
  ``ansible.module_utils.basic``, the start-up every task of that module pays.

All on this host, against a private tgtd (free control port and loopback portal),
libvirtd and a SQLite store in a temporary directory; every libvirt object is named
vbtest-<random> and removed at the end.

    scripts/bench.sh ../bench/attach_floor  # or: . scripts/env.sh; python bench/attach_floor.py [ROUNDS]
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from support.libvirtd import Libvirt  # noqa: E402
from support.tgtd import Tgtd  # noqa: E402
from support import ports  # noqa: E402
from support.mitogen import strategy_env as mitogen_env  # noqa: E402

RAW = os.path.join(ROOT, "bench", "raw_attach.sh")
# The tests' recorder callback: every task result with its action, seconds and status.
CALLBACKS = os.path.join(ROOT, "tests", "support", "callbacks")
LOCAL_ACTIONS = ("set_fact", "debug", "fail", "assert", "validate_argument_spec")
INCLUDES = ("include_tasks", "include_role", "import_tasks", "import_role")


def short(action):
    return action.rsplit(".", 1)[-1]


class Run(object):
    """One ansible-playbook run: wall seconds and the recorded task results."""

    def __init__(self, book, variables, env=None):
        work = tempfile.mkdtemp(prefix="vbbench-run-")
        try:
            record = os.path.join(work, "record.json")
            varfile = os.path.join(work, "vars.json")
            with open(varfile, "w") as handle:
                json.dump(variables, handle)
            argv = ["ansible-playbook", "-i", "localhost,", "-c", "local",
                    book if os.path.isabs(book) else os.path.join(ROOT, book), "-e", "@" + varfile]
            full_env = dict(os.environ, ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                            ANSIBLE_CALLBACKS_ENABLED="vbtest_recorder", VBTEST_RECORD=record,
                            ANSIBLE_DEPRECATION_WARNINGS="false")
            full_env.update(env or {})
            start = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=full_env,
                                  check=False)
            self.seconds = time.perf_counter() - start
            if done.returncode:
                raise SystemExit("%s failed:\n%s" % (book, done.stdout[-3000:]))
            with open(record) as handle:
                data = json.load(handle)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.tasks = [dict(t, pong=t["result"].get("ping") == "pong",
                           msg=t.get("msg") or t["result"].get("msg")) for t in data["tasks"]]
        self.changed = sum(s.get("changed", 0) for s in data["stats"].values())

    def ran(self):
        return [t for t in self.tasks if t["status"] != "skipped"]

    def shape(self):
        """(module tasks, set_fact-like tasks, includes) that ran (not skipped)."""
        modules = [t for t in self.ran() if short(t["action"]) not in LOCAL_ACTIONS + INCLUDES]
        local = [t for t in self.ran() if short(t["action"]) in LOCAL_ACTIONS]
        includes = [t for t in self.ran() if short(t["action"]) in INCLUDES]
        return len(modules), len(local), len(includes)


def floor_playbook(path, modules, local):
    """A play of *modules* delegated pings and *local* set_facts, interleaved."""
    lines = ["---", "- name: Ansible's floor for the task shape", "  hosts: localhost",
             "  gather_facts: false", "  tasks:"]
    order = ["ping"] * modules + ["set_fact"] * local
    if not order:
        lines[-1] = "  tasks: []"
    for index, kind in enumerate(order):
        if kind == "ping":
            lines += ["    - name: Ping %d" % index, "      ansible.builtin.ping:",
                      "      delegate_to: \"{{ floor_host }}\""]
        else:
            lines += ["    - name: Fact %d" % index, "      ansible.builtin.set_fact:",
                      "        floor_fact_%d: \"{{ floor_host ~ '%d' }}\"" % (index, index)]
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def floor(path, modules, local, env=None):
    floor_playbook(path, modules, local)
    run = Run(path, {"floor_host": "localhost"}, env=env)
    pongs = [t for t in run.tasks if short(t["action"]) == "ping" and t["pong"]]
    if len(pongs) != modules:
        raise SystemExit("the floor's pings did not all answer (%d of %d): %s"
                         % (len(pongs), modules, [t.get("msg") for t in run.tasks]))
    return run


def raw(settings, tgtd, volume_id, domain, tid, conf_dir):
    argv = [RAW, settings["virtblock_db_path"], volume_id,
            os.path.join(settings["virtblock_backing_dir"], "volume-%s" % volume_id),
            domain.name(), str(tid), tgtd.ip, str(tgtd.control_port), conf_dir]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit("raw_attach.sh failed: %s" % done.stderr[-2000:])
    return time.perf_counter() - start


def settings_for(base, tgtd):
    """The playbooks' variables pointing every bench at its private tgtd and a store,
    backing, image and instance folders under *base* (the images folder is made)."""
    settings = {
        "virtblock_db_path": os.path.join(base, "records.sqlite"),
        "virtblock_backing_dir": os.path.join(base, "backing"),
        "virtblock_volumes_dir": tgtd.volumes_dir,
        "virtblock_tgt_include_file": tgtd.include_file,
        "virtblock_tgt_control_port": tgtd.control_port,
        "virtblock_target_ip_address": tgtd.ip,
        "virtblock_images_dir": os.path.join(base, "images"),
        "virtblock_instances_path": os.path.join(base, "instances"),
    }
    os.makedirs(settings["virtblock_images_dir"], exist_ok=True)
    return settings


def import_costs(samples=5):
    """Median CPU seconds to import each module (its module_utils closure) once
    ansible.module_utils.basic is imported, timed inside a fresh interpreter as a task
    starts (CPU time, so other work on the machine moves it less than wall time)."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    code = ("import time; t0 = time.process_time(); import ansible.module_utils.basic; "
            "t1 = time.process_time(); import ansible_collections.virtblock.volumes.plugins."
            "modules.%s; print(t1 - t0, time.process_time() - t1)")
    base, costs = [], {}
    for name in sorted(os.listdir(os.path.join(ROOT, "plugins", "modules"))):
        if name.endswith(".py") and not name.startswith("_"):
            module = name[:-3]
            times = []
            for dummy in range(samples):
                done = subprocess.run([sys.executable, "-c", code % module], env=env, check=True,
                                      capture_output=True, text=True)
                basic, own = (float(x) for x in done.stdout.split())
                base.append(basic)
                times.append(own)
            costs[module] = statistics.median(times)
    return statistics.median(base), costs


def median(values):
    return statistics.median(values) if values else float("nan")


def boot_server(base):
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    return name, {"name": name, "memory": 64, "vcpus": 1, "block_device_mapping_v2": [
        {"boot_index": 0, "source_type": "blank", "destination_type": "volume",
         "volume_size": 1, "delete_on_termination": True}]}


def main(rounds=3):
    many = [int(n) for n in os.environ.get("VIRTBLOCK_BENCH_MANY", "1,5,20").split(",") if n]
    boot_rounds = int(os.environ.get("VIRTBLOCK_BENCH_BOOT_ROUNDS", "2"))
    base = tempfile.mkdtemp(prefix="vbbench-", dir="/var/tmp")
    os.chmod(base, 0o755)
    virt = Libvirt()
    with ports.machine_lock():
        tgtd = Tgtd(os.path.join(base, "tgtd"))
        tgtd.start()
    raw_conf = os.path.join(base, "raw")
    os.makedirs(raw_conf)
    settings = settings_for(base, tgtd)
    book = "playbooks/attach_volume.yml"
    floor_book = os.path.join(base, "floor.yml")
    mito = mitogen_env()
    pairs = [(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())) for dummy in range(rounds)]
    batches = dict((n, [str(uuid.uuid4()) for dummy in range(n)]) for n in many)
    in_batch = dict((n, [[str(uuid.uuid4()) for dummy in range(n)] for dummy in range(rounds)]) for n in many)
    every = [v for pair in pairs for v in pair] + [v for b in batches.values() for v in b]
    every += [v for runs in in_batch.values() for b in runs for v in b]
    raw_iqns = ["iqn.2010-10.org.openstack:volume-%s" % p[1] for p in pairs]
    rows = dict((k, []) for k in ("raw", "first", "first_floor", "rerun", "rerun_floor",
                                  "m_first", "m_rerun", "m_floor", "m_rerun_floor", "m_empty"))
    shapes = {}
    per_task = {}
    ping_times = []
    many_times = {}
    batch_times = {}
    boots, boot_reruns = [], []

    try:
        Run("bench/prepare_volumes.yml", dict(settings, bench_volume_ids=every))
        for index, (mine, theirs, mitos) in enumerate(pairs):
            dom = virt.define(start=True, ports=6)   # this round's three disks, and spares
            extra = dict(settings, instance_uuid=dom.UUIDString(), volume_id=mine)
            first = Run(book, extra)
            assert first.changed, "the first run changed nothing"
            again = Run(book, extra)
            assert not again.changed, "the rerun changed %d tasks" % again.changed
            shapes["first"], shapes["rerun"] = first.shape(), again.shape()
            first_floor = floor(floor_book, *shapes["first"][:2])
            rerun_floor = floor(floor_book, *shapes["rerun"][:2])
            rows["raw"].append(raw(settings, tgtd, theirs, dom, 5000 + index, raw_conf))
            rows["first"].append(first.seconds)
            rows["rerun"].append(again.seconds)
            rows["first_floor"].append(first_floor.seconds)
            rows["rerun_floor"].append(rerun_floor.seconds)
            if mito:
                extra = dict(settings, instance_uuid=dom.UUIDString(), volume_id=mitos)
                m_first = Run(book, extra, env=mito)
                m_again = Run(book, extra, env=mito)
                assert m_first.changed and not m_again.changed, "mitogen: not idempotent"
                rows["m_first"].append(m_first.seconds)
                rows["m_rerun"].append(m_again.seconds)
                rows["m_floor"].append(floor(floor_book, *shapes["first"][:2], env=mito).seconds)
                rows["m_rerun_floor"].append(floor(floor_book, *shapes["rerun"][:2], env=mito).seconds)
                # mitogen's fixed cost: a play of no task, and the connection its first task opens
                rows["m_empty"].append(floor(floor_book, 0, 0, env=mito).seconds)
            ping_times += [t["seconds"] for t in first_floor.tasks if short(t["action"]) == "ping"]
            for task in first.ran() + again.ran():
                if short(task["action"]) not in LOCAL_ACTIONS + INCLUDES:
                    per_task.setdefault(short(task["action"]), []).append(
                        task["seconds"] / (task["items"] or 1))
        for n, volume_ids in sorted(batches.items()):
            dom = virt.define(start=True, ports=n + 2)   # a PCIe root port per hot-plugged disk
            run = Run("bench/attach_many.yml", dict(settings, instance_uuid=dom.UUIDString(),
                                                    bench_volume_ids=volume_ids))
            many_times[n] = (run.seconds, run.shape())
        for n, runs in sorted(in_batch.items()):
            for volume_ids in runs:
                dom = virt.define(start=True, ports=n + 2)
                extra = dict(settings, instance_uuid=dom.UUIDString(), volumes=volume_ids)
                run = Run(book, extra)
                again = Run(book, extra)
                assert run.changed and not again.changed, "batch of %d: not idempotent" % n
                batch_times.setdefault(n, []).append((run.seconds, again.seconds, run.shape()))
        for dummy in range(boot_rounds):
            name, server = boot_server(base)
            boot = Run("playbooks/boot_from_volume.yml", dict(settings, virtblock_server=server))
            rerun = Run("playbooks/boot_from_volume.yml", dict(settings, virtblock_server=server))
            assert not rerun.changed, "the boot rerun changed %d tasks" % rerun.changed
            boots.append(boot.seconds)
            boot_reruns.append(rerun.seconds)
            shapes["boot"], shapes["boot_rerun"] = boot.shape(), rerun.shape()
            Run("playbooks/delete_instance.yml", dict(settings, virtblock_instance_name=name))
        imports_base, imports = import_costs()
    finally:
        virt.cleanup()
        for iqn in raw_iqns:
            secret = virt.secret_by_usage("%s/1" % iqn)
            if secret is not None:
                secret.undefine()
        tgtd.stop()
        shutil.rmtree(base, ignore_errors=True)

    m = dict((k, median(v)) for k, v in rows.items())
    ping = median(ping_times)
    print("attach one volume to a running domain (QEMU iSCSI, CHAP), median of %d rounds:" % rounds)
    print("  %-44s %8s %8s" % ("", "ms", "ratio"))
    print("  %-44s %8.0f" % ("raw script (sqlite3, tgtadm, virsh)", m["raw"] * 1000))
    for key, label in (("first", "attach_volume.yml, first run"),
                       ("rerun", "attach_volume.yml, no-op rerun")):
        mods, local, incl = shapes[key]
        print("  %-44s %8.0f %7.2fx its floor, %.1fx raw"
              % (label, m[key] * 1000, m[key] / m[key + "_floor"], m[key] / m["raw"]))
        print("  %-44s %8.0f   (%d module tasks, %d set_fact-like, %d includes ran)"
              % ("  floor: %d pings + %d set_facts" % (mods, local), m[key + "_floor"] * 1000,
                 mods, local, incl))
    print("  rerun / first run: %.0f %%" % (100 * m["rerun"] / m["first"]))
    if mito:
        print("  under mitogen_linear: first run %.0f ms (%.2fx its floor %.0f ms), rerun %.0f ms"
              " (%.0f %% of its first run; %.2fx its floor %.0f ms); a play of no task %.0f ms"
              % (m["m_first"] * 1000, m["m_first"] / m["m_floor"], m["m_floor"] * 1000,
                 m["m_rerun"] * 1000, 100 * m["m_rerun"] / m["m_first"],
                 m["m_rerun"] / m["m_rerun_floor"], m["m_rerun_floor"] * 1000, m["m_empty"] * 1000))
    print("N volumes to one instance in one play (bench/attach_many.yml):")
    for n, (seconds, shape) in sorted(many_times.items()):
        print("  N=%-3d %8.0f ms  %6.0f ms a volume  %.2fx N single first runs  (%d module tasks)"
              % (n, seconds * 1000, seconds * 1000 / n, seconds / (n * m["first"]), shape[0]))
    print("N volumes to one instance in ONE batch (attach_volume.yml -e volumes=[...]), median of %d:"
          % rounds)
    for n, runs in sorted(batch_times.items()):
        first, again = median([r[0] for r in runs]), median([r[1] for r in runs])
        print("  N=%-3d %8.0f ms  %6.0f ms a volume  %.2fx N single first runs  %.2fx the play above"
              "  (%d module tasks)  rerun %.0f ms"
              % (n, first * 1000, first * 1000 / n, first / (n * m["first"]),
                 first / many_times[n][0] if n in many_times else float("nan"), runs[0][2][0],
                 again * 1000))
    if boots:
        b, r = median(boots), median(boot_reruns)
        print("boot from a blank volume (median of %d):" % len(boots))
        print("  first boot %8.0f ms (%d module tasks)   rerun %8.0f ms (%d module tasks) = %.0f %% of the first"
              % (b * 1000, shapes["boot"][0], r * 1000, shapes["boot_rerun"][0], 100 * r / b))
    print("each module task's own time beyond a ping task (%.0f ms), median over the runs above:"
          % (ping * 1000))
    for name, times in sorted(per_task.items(), key=lambda kv: -median(kv[1])):
        print("  %-22s %6.0f ms  (+%4.0f ms, %d samples)"
              % (name, median(times) * 1000, (median(times) - ping) * 1000, len(times)))
    print("import of each module with its module_utils, beyond ansible.module_utils.basic (%.0f ms):"
          % (imports_base * 1000))
    for name, cost in sorted(imports.items(), key=lambda kv: -kv[1]):
        print("  %-22s %+6.0f ms" % (name, cost * 1000))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
