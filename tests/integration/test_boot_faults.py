"""boot_from_volume.yml when a step fails or the playbook is killed (issue 14 item 7).

- A failure at a step: the rescue removes exactly what the run made - the domain it
  defined, the volumes it attached (export, libvirt secret, attachment, BDM), the volumes
  it created, its local disks and their BDMs - leaves a volume the request only named
  (source volume) available, and fails with the step's own message; a rerun once the fault
  is fixed boots. The faults are real (the database refusing a write, by a trigger).
- kill -9 at every step: ansible-playbook is killed (SIGKILL, so no rescue runs) as each
  module task of the boot starts - the boot role's and the attach_volume role's it
  includes - one after the other on one instance: every rerun gets past the step the last
  one was killed at, the last run finishes, and the result is the same as a boot that was
  never killed (no second volume, row, attachment or export), with a no-op rerun after it.
  set_fact and include tasks are not kill points: a kill at their start leaves the state
  a kill at the next module task leaves.

The domains have no kernel (no guest OS: the firmware runs), so no guest boot is waited
for; tests/integration/test_boot_from_volume.py boots a real guest.
"""

import os
import sqlite3

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import new_volume_id
from support.attach_env import IQN_PREFIX, AttachEnv
from support.boot_site import domain_xml, instance_uuid

pytestmark = pytest.mark.slow

# The steps of a boot with a volume it makes, a volume it is given and a local disk: the
# kill walk must have stopped at each (parts of the task names).
STEPS = ["Read the instance's BDM rows", "Look the instance up on the compute host",
         "Create or find the volume", "Record the new volume", "Make the instance directory",
         "Make the local disks", "Record the local disks' BDMs", "Define the domain",
         "reserve the device name", "Export the volume", "Attach the disk to the domain",
         "Save the BDM with its connection_info", "Save the mappings' Nova fields", "Start the domain"]


def request(site, given):
    """A root volume the boot makes, a swap disk, and *given*, an existing volume."""
    server = site.server([
        {"boot_index": 0, "source_type": "blank", "destination_type": "volume",
         "volume_size": 1, "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 8},
        {"source_type": "volume", "uuid": given, "destination_type": "volume"}])
    server["memory"] = 64
    inst = instance_uuid(server["name"])
    return server, inst, new_volume_id(inst, 0)


def refuse(site, name, when):
    """The store refuses an update of a BDM row *when* (SQL), as a full disk would."""
    with sqlite3.connect(site.db) as conn:
        conn.execute("CREATE TRIGGER %s BEFORE UPDATE ON block_device_mapping WHEN %s "
                     "BEGIN SELECT RAISE(ABORT, 'vbtest: database is read-only'); END;" % (name, when))


def allow(site, name):
    with sqlite3.connect(site.db) as conn:
        conn.execute("DROP TRIGGER %s" % name)


def traces(site, server, volume_ids):
    """Everything a boot of *server* leaves, by place."""
    import libvirt
    inst = instance_uuid(server["name"])
    exported = site.tgtd.tgtadm("--op", "show", "--mode", "target")
    conn = libvirt.open("qemu:///system")
    try:
        secrets = [s.usageID() or "" for s in conn.listAllSecrets()]
    finally:
        conn.close()
    volumes = {}
    for volume_id in volume_ids:
        row = site.volume(volume_id) or {}
        attached = site.rows("select attach_status from volume_attachment where volume_id = ? "
                             "and deleted = 0", volume_id)
        volumes[volume_id] = dict(
            status=row.get("status"), bytes=os.path.exists(os.path.join(site.backing, "volume-" + volume_id)),
            attachments=sorted(a["attach_status"] for a in attached),
            exported=exported.count(IQN_PREFIX + volume_id + "\n"),
            secrets=len([s for s in secrets if volume_id in s]))
    return dict(domain=domain_xml(server["name"])[0],
                bdms=sorted((r["device_name"], r["volume_id"], bool(r["connection_info"]))
                            for r in site.bdms(inst)),
                instance_dir=sorted(os.listdir(os.path.join(site.instances, inst)))
                if os.path.isdir(os.path.join(site.instances, inst)) else None,
                volumes=volumes)


def booted(made, given):
    """What a finished boot of request() leaves (QEMU's initiator, CHAP: one secret each)."""
    in_use = dict(status="in-use", bytes=True, attachments=["attached"], exported=1, secrets=1)
    return dict(domain=True, bdms=[("/dev/vda", made, True), ("/dev/vdb", None, False),
                                   ("/dev/vdc", given, True)],
                instance_dir=["console.log", "disk.swap"], volumes={made: in_use, given: in_use})


def rolled_back(made, given):
    """What a failed first boot of request() leaves: the given volume as it was, no more."""
    return dict(domain=None, bdms=[], instance_dir=None, volumes={
        made: dict(status="deleted", bytes=False, attachments=[], exported=0, secrets=0),
        given: dict(status="available", bytes=True, attachments=[], exported=0, secrets=0)})


def delete_and_check(site, server, made, given):
    deleted = site.delete(server["name"])
    assert deleted.ok, deleted.messages() or deleted.stdout[-3000:]
    assert traces(site, server, [made, given]) == rolled_back(made, given)


@pytest.mark.parametrize("fault, when", [
    # after every volume is attached, as the boot saves the root's boot_index
    ("Save the mappings' Nova fields",
     "NEW.boot_index IS NOT NULL AND NEW.destination_type = 'volume'"),
    # in the middle of the attaches: the given volume's attach (the root's is done) fails
    # at its last save; the attach role undoes its own steps, the boot's rescue the rest
    ("attach_volume : Save the BDM with its connection_info",
     "NEW.connection_info IS NOT NULL AND NEW.volume_id = '{given}'"),
])
def test_a_failed_boot_removes_what_it_made_and_a_rerun_boots(bare_site, fault, when):
    site = bare_site
    given = AttachEnv(site.tgtd, None, site.base).new_volume()
    server, dummy, made = request(site, given)
    refuse(site, "vbtest_refuse", when.format(given=given))
    run = site.boot(server)
    assert not run.ok
    assert [t["task"] for t in run.tasks if t["status"] == "failed" and not t["ignored"]][-1].endswith(
        "Fail with the original error")
    assert fault in [t["task"] for t in run.tasks if t["status"] == "failed"][0]
    assert run.msg.endswith(": vbtest: database is read-only"), run.msg   # every undo worked
    assert traces(site, server, [made, given]) == rolled_back(made, given)

    allow(site, "vbtest_refuse")
    again = site.boot(server)
    assert again.ok, again.messages() or again.stdout[-3000:]
    assert traces(site, server, [made, given]) == booted(made, given)
    delete_and_check(site, server, made, given)


def test_kill_9_at_every_step_of_a_boot_converges_on_rerun(bare_site):
    site = bare_site
    given = AttachEnv(site.tgtd, None, site.base).new_volume()
    server, dummy, made = request(site, given)
    killed = []
    while True:
        run = site.boot(server, kill_at=list(killed))
        failed = [t for t in run.tasks if t["status"] in ("failed", "unreachable") and not t["ignored"]]
        assert not failed, "after a kill at %r: %s" % (killed[-1:], failed)
        if run.killed_at is None:
            break
        assert run.rc == -9 and run.killed_at not in killed
        killed.append(run.killed_at)
        assert len(killed) < 80, killed
    print("\nboot kill points: %d\n  %s" % (len(killed), "\n  ".join(killed)))
    assert run.ok, run.stdout[-3000:]
    missed = [step for step in STEPS if not any(step in name for name in killed)]
    assert not missed, (missed, killed)
    assert traces(site, server, [made, given]) == booted(made, given)
    again = site.boot(server)
    assert again.ok and again.changed == 0, again.stdout[-3000:]
    delete_and_check(site, server, made, given)
