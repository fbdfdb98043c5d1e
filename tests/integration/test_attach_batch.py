"""The attach and detach roles' batch (tasks_from: batch; the playbooks' ``volumes``):
several volumes of one running QEMU domain (no guest OS: the scsi bus, whose hot-unplug
completes without one) through each step once, against the tests' tgtd, the real
libvirtd and SQLite. A bad volume in the batch is rolled back alone; the others stay."""

import json
import os

import pytest

from support.attach_env import CLEAN

pytestmark = pytest.mark.slow


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def batch(env, instance, volumes, playbook="attach", **kwargs):
    run = env.attach if playbook == "attach" else env.detach
    extra = dict(kwargs.pop("extra", {}), volumes=volumes, disk_bus="scsi")
    return run(instance, None, extra=extra, **kwargs)


def module_runs(run, action):
    return [t for t in run.tasks if t.get("action", "").endswith(action) and t["status"] != "skipped"]


def test_a_batch_attaches_every_volume_with_each_step_once_then_reruns_and_detaches(attach_env, virt):
    dom = virt.define(start=True)
    instance = dom.UUIDString()
    volumes = [attach_env.new_volume() for dummy in range(4)]

    # check mode with diff: says what would change, changes nothing
    checked = ok(batch(attach_env, instance, volumes, check=True, diff=True))
    assert checked.changed > 0
    for volume_id in volumes:
        assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)

    first = ok(batch(attach_env, instance, volumes))
    assert first.changed > 0
    live, config = virt.live_xml(dom), virt.config_xml(dom)
    names = []
    for volume_id in volumes:
        assert "<serial>%s</serial>" % volume_id in live and "<serial>%s</serial>" % volume_id in config
        bdm, = attach_env.bdms(volume_id)
        names.append(bdm["device_name"])
        assert attach_env.volume_status(volume_id) == "in-use" and attach_env.in_tgtd(volume_id)
    assert names == ["/dev/sda", "/dev/sdb", "/dev/sdc", "/dev/sdd"]
    # every volume's generated CHAP secret stays out of the play's output and results
    for volume_id in volumes:
        secret = attach_env.chap_secret(volume_id)
        assert secret and secret not in first.stdout and secret not in json.dumps(first.tasks)
    # each step ran once for the four volumes: two store runs, one export, one hot-plug run
    assert len(module_runs(first, "bdm_record")) == 2
    assert len(module_runs(first, "iscsi_target")) == 1
    assert len(module_runs(first, "libvirt_disk_attach")) == 1

    again = ok(batch(attach_env, instance, volumes))
    assert again.changed == 0
    assert len(module_runs(again, "iscsi_target")) == 0     # the reservation found them finished

    gone = ok(batch(attach_env, instance, volumes, playbook="detach"))
    assert gone.changed > 0
    for volume_id in volumes:
        assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)
    for action in ("bdm_info", "volume_state", "libvirt_disk_attach", "iscsi_target", "bdm_record"):
        assert len(module_runs(gone, action)) == 1, action
    assert ok(batch(attach_env, instance, volumes, playbook="detach")).changed == 0


def test_a_bad_volume_is_rolled_back_alone_and_the_others_stay(attach_env, virt):
    dom = virt.define(start=True)
    instance = dom.UUIDString()
    good, in_use, no_file, also_good = [attach_env.new_volume() for dummy in range(4)]
    # in_use: attached to another instance and not multiattach (Cinder refuses it at the
    # reservation); no_file: its backing file is gone (the export fails after the reservation)
    ok(attach_env.attach(virt.define().UUIDString(), in_use))
    os.remove(os.path.join(attach_env.backing_dir, "volume-" + no_file))

    # auto: the connect step runs once for the batch and finds no kernel initiator here
    run = batch(attach_env, instance, [good, in_use, no_file, also_good],
                extra=dict(virtblock_iscsi_initiator="auto"))
    assert run.rc != 0
    assert len(module_runs(run, "volume_connection")) == 1 and "path: qemu]" in run.stdout
    assert "2 of 4 volume(s) failed" in run.msg, run.msg
    assert "volume %s (step bdm): Invalid volume: volume is already attached" % in_use in run.msg
    assert "volume %s (step export): " % no_file in run.msg and "does not exist" in run.msg
    # the export's failure undid what this run did for that volume alone: its reservation
    assert attach_env.traces(no_file, dom) == dict(CLEAN, disk=False)
    # the volume in use elsewhere is untouched: still on the other instance only
    assert [b["instance_uuid"] for b in attach_env.bdms(in_use)] != [instance]
    assert attach_env.volume_status(in_use) == "in-use" and in_use not in virt.live_xml(dom)
    # the two good volumes are attached, as two Nova requests beside the failed ones would be
    for volume_id in (good, also_good):
        assert attach_env.volume_status(volume_id) == "in-use"
        assert "<serial>%s</serial>" % volume_id in virt.live_xml(dom)
    # sdb was the bad export's reservation, given back by its rollback
    assert [attach_env.bdms(v)[0]["device_name"] for v in (good, also_good)] == ["/dev/sda", "/dev/sdc"]
