#!/usr/bin/env python
"""Attach + detach latency of libvirt_disk_attach beside the bare libvirt-python calls.

One run, same host, same running domain (no guest OS, so the disk goes on the scsi
bus, whose detach completes without a guest). Prints the medians and their ratio, plus
an ``ansible.builtin.ping`` baseline through the same runner: most of the module's time is Ansible starting up.

    cd /work/wt-compute && . scripts/env.sh && python bench/compute_attach_latency.py [N]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

from support.ansible_run import run_module  # noqa: E402
from support.libvirtd import Libvirt, make_volume  # noqa: E402

DISK = """<disk type='file' device='disk'>
  <driver name='qemu' type='raw' cache='none' io='native'/>
  <source file='{path}'/>
  <target dev='sdb' bus='scsi'/>
  <serial>{serial}</serial>
</disk>"""


def bare(dom, libvirt, volume):
    xml = DISK.format(path=volume[1]["data"]["device_path"], serial=volume[0])
    live_config = libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG
    start = time.perf_counter()
    dom.attachDeviceFlags(xml, live_config)
    dom.detachDeviceFlags(xml, live_config)
    while volume[0] in dom.XMLDesc(0):      # the same confirmation the module does
        time.sleep(0.01)
    return time.perf_counter() - start


def module(dom, volume):
    start = time.perf_counter()
    first = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume[0],
                                                   connection_info=volume[1], disk_bus="scsi"))
    second = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume[0],
                                                    state="detached", detach_timeout=10))
    elapsed = time.perf_counter() - start
    assert first["changed"] and second["changed"], (first.get("msg"), second.get("msg"))
    return elapsed


def ping():
    start = time.perf_counter()
    pinged = run_module("ansible.builtin.ping", {})
    assert not pinged["failed"], pinged.get("msg")
    return time.perf_counter() - start


def main(count=5):
    virt = Libvirt()
    directory = tempfile.mkdtemp(prefix="vbtest-", dir="/var/tmp")
    os.chmod(directory, 0o755)
    try:
        dom = virt.define(start=True)
        volume = make_volume(directory)
        bare(dom, virt.libvirt, volume)          # warm-up
        bares = [bare(dom, virt.libvirt, volume) for dummy in range(count)]
        modules = [module(dom, volume) for dummy in range(count)]
        pings = [2 * ping() for dummy in range(count)]
    finally:
        virt.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
    b, m, p = (statistics.median(x) for x in (bares, modules, pings))
    print("attach+detach, scsi disk, running domain, median of %d:" % count)
    print("  bare libvirt-python calls      %8.1f ms" % (b * 1000))
    print("  libvirt_disk_attach (2 tasks)  %8.1f ms" % (m * 1000))
    print("  ansible ping (2 tasks)         %8.1f ms" % (p * 1000))
    print("  ratio module / bare            %8.1f x" % (m / b))
    print("  ratio (module - ping) / bare   %8.1f x" % (max(m - p, 0) / b))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
