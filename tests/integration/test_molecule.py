"""Runs ``molecule test -s <name>`` for every scenario under extensions/molecule/ (a
directory with a molecule.yml), so the README's test command runs them all. Each scenario
starts its own tgtd (VIRTBLOCK_MOLECULE_TGT_PORT / VIRTBLOCK_MOLECULE_PORTAL_IP, default
27 / 127.0.0.27) in prepare and stops it, with everything it made, in cleanup."""

import os
import re
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS_DIR = os.path.join(ROOT, "extensions", "molecule")
SCENARIOS = sorted(name for name in os.listdir(SCENARIOS_DIR)
                   if os.path.isfile(os.path.join(SCENARIOS_DIR, name, "molecule.yml")))


def test_there_are_scenarios():
    assert {"attach", "detach"} <= set(SCENARIOS)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario, libvirtd_running):
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", NO_COLOR="1", PY_COLORS="0")
    # molecule keeps "prepared" between runs; a run that died half-way must not skip prepare.
    subprocess.run(["molecule", "reset", "-s", scenario], cwd=ROOT, env=env,
                   capture_output=True, timeout=120)
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1200)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    for step in ("converge", "idempotence", "verify", "cleanup"):
        # "attach ➜ verify: Executed: Successful" on a terminal, "[attach > verify] ..." in a pipe
        done = r"%s\s*(?:➜|>)\s*%s\]?:?\s*Executed: Successful" % (scenario, step)
        assert re.search(done, output), output[-3000:]
