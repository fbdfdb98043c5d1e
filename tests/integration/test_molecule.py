"""Runs ``molecule test -s <name>`` for every scenario under extensions/molecule/ (a
directory with a molecule.yml), so the README's test command runs them all. Each scenario
starts its own tgtd in prepare and stops it, with everything it made, in cleanup; this test
gives it a free control port and loopback portal (VIRTBLOCK_MOLECULE_TGT_PORT /
VIRTBLOCK_MOLECULE_PORTAL_IP), a run id that names its directory, domain and ids
(VIRTBLOCK_MOLECULE_RUN_ID) and a private molecule state directory, so another checkout
running the same scenario at the same time meets nothing of it. Run by hand, a scenario
uses 27 / 127.0.0.27 / 00000000000. The ``rbd`` scenario gets the session's Ceph
(support/ceph.py: a free loopback address, its own cephx user) in
VIRTBLOCK_MOLECULE_CEPH_DIR / _CEPH_USER instead of starting one (by hand it starts its own).
The ``multihost`` scenario gets the session's compute-node guest over SSH and its tgtd
(multihost_env below): storage, compute and store are three hosts there."""

import os
import re
import subprocess
import uuid

import pytest

from support import ports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS_DIR = os.path.join(ROOT, "extensions", "molecule")
SCENARIOS = sorted(name for name in os.listdir(SCENARIOS_DIR)
                   if os.path.isfile(os.path.join(SCENARIOS_DIR, name, "molecule.yml")))


def test_there_are_scenarios():
    assert {"attach", "detach", "boot_from_volume", "rbd", "multihost"} <= set(SCENARIOS)


def multihost_env(request):
    """The session's compute-node guest (over SSH) and tgtd for the ``multihost`` scenario:
    its three-host inventory, an instance defined in the guest's libvirt (removed after the
    test) and where the guest reaches the tgtd (QEMU's guestfwd address)."""
    from support.compute_node import GUEST_PORTALS
    node = request.getfixturevalue("compute_node")
    inventory, ansible_env = request.getfixturevalue("compute_inventory")
    tgtd = request.getfixturevalue("tgtd")
    instance = node.define_domain()
    request.addfinalizer(lambda: node.remove_domain(instance))
    env = dict((key, value) for key, value in ansible_env.items() if key != "ANSIBLE_INVENTORY")
    env.update(VIRTBLOCK_MOLECULE_INVENTORY=inventory, VIRTBLOCK_MOLECULE_INSTANCE_UUID=instance,
               VIRTBLOCK_MOLECULE_TGT_PORT=str(tgtd.control_port),
               VIRTBLOCK_MOLECULE_VOLUMES_DIR=tgtd.volumes_dir,
               VIRTBLOCK_MOLECULE_INCLUDE_FILE=tgtd.include_file,
               VIRTBLOCK_MOLECULE_GUEST_PORTAL=GUEST_PORTALS[0])
    return env


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, libvirtd_running, tmp_path, request):
    with ports.machine_lock():
        control_port = ports.free_tgtd_control_port()
        portal_ip = ports.free_loopback_ip(3260)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1", PY_COLORS="0",
               VIRTBLOCK_MOLECULE_TGT_PORT=str(control_port),
               VIRTBLOCK_MOLECULE_PORTAL_IP=portal_ip,
               VIRTBLOCK_MOLECULE_RUN_ID=uuid.uuid4().hex[:11],
               MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / "molecule"))
    if scenario == "rbd":
        ceph = request.getfixturevalue("ceph")   # skips, with the reason, where Ceph is missing
        env.update(VIRTBLOCK_MOLECULE_CEPH_DIR=ceph.path, VIRTBLOCK_MOLECULE_CEPH_USER=ceph.user)
    if scenario == "multihost":
        env.update(multihost_env(request))
    # molecule keeps "prepared" between runs; a run that died half-way must not skip prepare.
    subprocess.run(["molecule", "reset", "-s", scenario], cwd=ROOT, env=env,
                   capture_output=True, timeout=120, check=False)
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200, check=False)
    output = proc.stdout + proc.stderr
    # What failed is near a "fatal:" line; molecule's summary comes at the end.
    fatal = [line for line in output.splitlines() if "fatal:" in line or "FAILED" in line]
    assert proc.returncode == 0, "\n".join(fatal[:20]) + "\n...\n" + output[-3000:]
    for step in ("converge", "idempotence", "verify", "cleanup"):
        # "attach ➜ verify: Executed: Successful" on a terminal, "[attach > verify] ..." in a pipe
        done = r"%s\s*(?:➜|>)\s*%s\]?:?\s*Executed: Successful" % (scenario, step)
        assert re.search(done, output), output[-3000:]
