"""The instance_volumes role (playbooks/instance_volumes.yml) against real tgtd, libvirt
and the record store: it converges from any starting set in one run, the next run is
changed: false, check mode shows the plan the real run then carries out (and changes
nothing), a disk removed by hand is put back, and a shelved instance (no domain) gets its
BDM reservation only."""

import uuid

import pytest

from support.ansible_run import run_playbook
from support.attach_env import CLEAN

pytestmark = pytest.mark.slow


def converge(attach_env, instance, volumes, check=False):
    run = run_playbook("instance_volumes.yml", attach_env.vars(
        instance_uuid=instance, volumes=volumes), check=check)
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    plan = run.task_results("Plan the volumes")[0]["ansible_facts"]["instance_volumes_plan"]
    return run, plan


def attached(attach_env, dom, volume_id):
    return attach_env.traces(volume_id, dom) == dict(
        tgtd=True, target_file=True, libvirt_secret=True, bdms=1, status="in-use", disk=True)


def test_instance_volumes_converges_and_check_mode_shows_the_plan(attach_env, virt):
    dom = virt.define(start=True)
    instance = dom.UUIDString()
    vol = dict((key, attach_env.new_volume()) for key in "ABC")
    # scsi: a VM with no guest OS lets a scsi disk go (virtio would not)
    want = dict((key, {"volume_id": vol[key], "disk_bus": "scsi"}) for key in vol)

    run, plan = converge(attach_env, instance, [want["A"], want["B"]])     # from nothing
    assert [a["volume_id"] for a in plan["attach"]] == [vol["A"], vol["B"]] and run.changed > 0
    assert attached(attach_env, dom, vol["A"]) and attached(attach_env, dom, vol["B"])

    # check mode: the plan, nothing changed
    dry, check_plan = converge(attach_env, instance, [want["B"], want["C"]], check=True)
    assert [a["volume_id"] for a in check_plan["attach"]] == [vol["C"]]
    assert check_plan["detach"] == [vol["A"]] and check_plan["keep"] == [vol["B"]]
    assert attached(attach_env, dom, vol["A"])
    assert attach_env.traces(vol["C"], dom) == dict(CLEAN, disk=False)

    run, real_plan = converge(attach_env, instance, [want["B"], want["C"]])
    assert real_plan == check_plan and run.changed > 0                     # the same plan, done
    assert attach_env.traces(vol["A"], dom) == dict(CLEAN, disk=False)
    assert attached(attach_env, dom, vol["B"]) and attached(attach_env, dom, vol["C"])

    run, plan = converge(attach_env, instance, [want["B"], want["C"]])
    assert run.changed == 0 and plan["changes"] == 0

    # a disk removed by hand is attached again by the next run
    xml = attach_env.domain_xmls(dom)[1]             # the live XML
    disk = xml[xml.rindex("<disk", 0, xml.index(vol["C"])):]
    disk = disk[:disk.index("</disk>") + len("</disk>")]
    dom.detachDeviceFlags(disk, virt.libvirt.VIR_DOMAIN_AFFECT_LIVE | virt.libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    assert not attach_env.traces(vol["C"], dom)["disk"]
    run, plan = converge(attach_env, instance, [want["B"], want["C"]])
    assert [a["volume_id"] for a in plan["attach"]] == [vol["C"]] and run.changed > 0
    assert attached(attach_env, dom, vol["C"])

    run, plan = converge(attach_env, instance, [])                         # to nothing
    assert sorted(plan["detach"]) == sorted([vol["B"], vol["C"]])
    for key in "ABC":
        assert attach_env.traces(vol[key], dom) == dict(CLEAN, disk=False), key


def test_instance_volumes_on_a_shelved_instance(attach_env):
    """No domain (shelved offloaded): the BDM and the reservation only, then no change."""
    instance, volume_id = str(uuid.uuid4()), attach_env.new_volume()
    run, plan = converge(attach_env, instance, [volume_id])
    assert run.changed > 0 and len(attach_env.bdms(volume_id)) == 1
    assert attach_env.volume_status(volume_id) == "reserved"
    run, plan = converge(attach_env, instance, [volume_id])
    assert run.changed == 0 and plan["keep"] == [volume_id]
    run, plan = converge(attach_env, instance, [])
    assert plan["detach"] == [volume_id] and attach_env.bdms(volume_id) == []
    assert attach_env.volume_status(volume_id) == "available"
