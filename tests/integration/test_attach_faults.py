"""A failure forced at each step of attach_volume.yml: the rescue must leave no export,
no libvirt secret, no disk and no BDM, the volume available, and fail with the failed
step's own message; a rerun once the fault is fixed succeeds. Faults are real (tgtd
stopped, the domain destroyed, the database refusing the write, libvirt refusing the
device, the kernel initiator missing), injected as the step starts by the tests'
callback (tests/support/callbacks/vbtest_recorder.py)."""

import os
import shlex
import sqlite3

import pytest

from support.attach_env import CLEAN
from support.tgtd import SERVICES

pytestmark = pytest.mark.slow

# scsi: a VM with no guest OS lets a scsi disk go (virtio would wait for a guest), so the
# rollback's detach of a disk already plugged in can complete.
SCSI = dict(disk_bus="scsi")


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def assert_rolled_back(attach_env, run, volume_id, dom):
    assert run.rc != 0 and run.failed == 1
    assert attach_env.traces(volume_id, dom) == (CLEAN if dom is None else dict(CLEAN, disk=False))
    # every undo that ran succeeded
    assert not [t for t in run.tasks if t["status"] == "failed" and t.get("ignored")]


def rerun_and_detach(attach_env, instance, volume_id, dom, **extra):
    assert ok(attach_env.attach(instance, volume_id, extra=dict(SCSI, **extra))).changed > 0
    assert attach_env.volume_status(volume_id) == "in-use" and attach_env.in_tgtd(volume_id)
    assert any(volume_id in xml for xml in attach_env.domain_xmls(dom))
    # the final save keeps the bus the reservation recorded (it once wrote its default, virtio)
    assert attach_env.bdms(volume_id)[0]["disk_bus"] == extra.get("disk_bus", SCSI["disk_bus"])
    ok(attach_env.detach(instance, volume_id, extra=dict(detach_volume_detach_timeout=5)))
    assert attach_env.traces(volume_id, dom) == dict(CLEAN, disk=False)


def test_tgtd_stopped_at_the_export(attach_env, virt, tgtd):
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    stop = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in tgtd.env.items()
                    if k.startswith("TGT_")) + " %s stop tgtd" % SERVICES
    try:
        run = attach_env.attach(instance, volume_id, extra=SCSI,
                                fault_at="Export the volume", fault_command=stop)
    finally:
        tgtd.start()
    assert run.msg and "tgtd" in run.msg, run.msg
    assert_rolled_back(attach_env, run, volume_id, dom)
    rerun_and_detach(attach_env, instance, volume_id, dom)


def test_domain_gone_before_the_disk_is_attached(attach_env, virt):
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    destroy = ("python -c \"import libvirt; d = libvirt.open('qemu:///system')"
               ".lookupByUUIDString('%s'); d.destroy(); d.undefine()\"" % instance)
    run = attach_env.attach(instance, volume_id, extra=SCSI,
                            fault_at="Attach the disk to the domain", fault_command=destroy)
    assert run.msg == "Instance %s could not be found." % instance
    assert_rolled_back(attach_env, run, volume_id, None)
    again = virt.define(start=True, domain_uuid=instance)   # the fault fixed: it is back
    rerun_and_detach(attach_env, instance, volume_id, again)


def test_store_refuses_to_save_the_bdm(attach_env, virt):
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    # The database refuses the write that saves connection_info, as a full disk or a
    # read-only replica would; the reservation before it and the rollback's writes pass.
    refuse = ("sqlite3 %s \"CREATE TRIGGER vbtest_refuse BEFORE UPDATE ON block_device_mapping "
              "WHEN NEW.connection_info IS NOT NULL "
              "BEGIN SELECT RAISE(ABORT, 'vbtest: database is read-only'); END;\""
              % attach_env.db_path)
    run = attach_env.attach(instance, volume_id, extra=SCSI,
                            fault_at="Save the BDM", fault_command=refuse)
    assert "vbtest: database is read-only" in run.msg
    assert_rolled_back(attach_env, run, volume_id, dom)
    conn = sqlite3.connect(attach_env.db_path)
    conn.execute("DROP TRIGGER vbtest_refuse")
    conn.commit()
    conn.close()
    rerun_and_detach(attach_env, instance, volume_id, dom)


def test_libvirt_refuses_the_device(attach_env, virt):
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    run = attach_env.attach(instance, volume_id, extra=dict(disk_bus="ide"))   # q35: no IDE
    assert run.msg.startswith("libvirt could not attach the disk (live): "), run.msg
    assert "ide controller" in run.msg
    assert_rolled_back(attach_env, run, volume_id, dom)
    rerun_and_detach(attach_env, instance, volume_id, dom)


def test_host_connect_fails_without_a_kernel_initiator(attach_env, virt):
    if os.path.exists("/sys/module/iscsi_tcp"):
        pytest.skip("this host has a kernel iSCSI initiator: the connect would succeed")
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    run = attach_env.attach(instance, volume_id,
                            extra=dict(SCSI, virtblock_iscsi_initiator="host"))
    assert "Volume device not found" in run.msg, run.msg
    assert_rolled_back(attach_env, run, volume_id, dom)
    rerun_and_detach(attach_env, instance, volume_id, dom)   # QEMU's initiator instead
