"""playbooks/attach_volume.yml and detach_volume.yml under mitogen's strategy
(mitogen_linear, the `mitogen` package from requirements.txt), the collection unchanged:
the attach, its no-op rerun and the detach behave as with Ansible's own strategy."""
import os

import pytest

from support.attach_env import CLEAN

mitogen = pytest.importorskip("ansible_mitogen", reason="mitogen is not installed (requirements.txt)")

pytestmark = pytest.mark.slow

MITOGEN = dict(
    ANSIBLE_STRATEGY_PLUGINS=os.path.join(os.path.dirname(mitogen.__file__), "plugins", "strategy"),
    ANSIBLE_STRATEGY="mitogen_linear")


def test_attach_rerun_and_detach_under_mitogen(attach_env, virt):
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    scsi = dict(disk_bus="scsi")   # a VM with no guest OS lets a scsi disk go
    first = attach_env.attach(instance, volume_id, extra=scsi, env=MITOGEN)
    assert first["rc"] == 0 and first["changed"] > 0, first["stdout"][-3000:]
    assert attach_env.volume_status(volume_id) == "in-use" and attach_env.in_tgtd(volume_id)
    assert any(volume_id in xml for xml in attach_env.domain_xmls(dom))
    again = attach_env.attach(instance, volume_id, extra=scsi, env=MITOGEN)
    assert again["rc"] == 0 and again["changed"] == 0, again["stdout"][-3000:]
    gone = attach_env.detach(instance, volume_id, extra=dict(detach_volume_detach_timeout=5),
                             env=MITOGEN)
    assert gone["rc"] == 0, gone["stdout"][-3000:]
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)
