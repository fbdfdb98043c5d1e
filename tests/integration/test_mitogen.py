"""attach_volume.yml and detach_volume.yml, unchanged, under mitogen's strategy
(mitogen_linear): the same records and domain as the default strategy, and reruns that
change nothing. mitogen is pinned in requirements.txt, so its absence is a failure."""

import os

import pytest

from support import mitogen
from support.ansible_run import run_playbook
from support.attach_env import CLEAN

pytestmark = pytest.mark.slow

# Two module tasks report their parent process: under mitogen both run in one long-lived
# interpreter on the target (same parent); under the default strategy each task is a fresh
# process. This tells the strategy really changed, whatever the playbook's result.
PROBE = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.command: cat /proc/self/status
      register: first
    - ansible.builtin.command: cat /proc/self/status
      register: second
    - ansible.builtin.debug:
        msg: "VBTEST-PARENTS {{ [first, second] | map(attribute='stdout_lines')
              | map('select', 'match', 'PPid:') | map('first') | list | unique | length }}"
"""


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def parents(tmp_path, env):
    book = tmp_path / "probe.yml"
    book.write_text(PROBE)
    run = ok(run_playbook(str(book), env=env, verbosity=1))
    return int(run.stdout.split("VBTEST-PARENTS ")[1].split('"')[0])


def test_attach_and_detach_under_mitogen(attach_env, virt, tmp_path):
    env = mitogen.strategy_env()
    assert env is not None, "mitogen is in requirements.txt but does not import"
    assert os.path.isfile(os.path.join(env["ANSIBLE_STRATEGY_PLUGINS"], "mitogen_linear.py"))
    assert parents(tmp_path, env) == 1 and parents(tmp_path, {}) == 2

    dom = virt.define()
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    first = ok(attach_env.attach(instance, volume_id, env=env))
    assert first.changed > 0
    assert "<serial>%s</serial>" % volume_id in virt.config_xml(dom)
    bdm, = attach_env.bdms(volume_id)
    assert bdm["device_name"] == "/dev/vda" and attach_env.volume_status(volume_id) == "in-use"
    secret = attach_env.chap_secret(volume_id)
    assert secret and secret not in first.stdout
    assert ok(attach_env.attach(instance, volume_id, env=env)).changed == 0

    assert ok(attach_env.detach(instance, volume_id, env=env)).changed > 0
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)
    assert ok(attach_env.detach(instance, volume_id, env=env)).changed == 0
