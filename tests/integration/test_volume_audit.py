"""playbooks/volume_audit.yml against real drift: a disk removed with libvirt, a target
deleted in tgtd, an attach killed between "attach the disk" and "save the BDM" (its
attachment left attaching), a domain undefined behind the records, a BDM lost while its
disk stays. The audit reports each, check mode shows the plan and changes nothing,
repair=true fixes them in Nova's order, and a second audit is clean."""

import json
import re
import uuid
import xml.etree.ElementTree as ET

import pytest

from support.ansible_run import run_module, run_playbook

pytestmark = pytest.mark.slow

SCSI = dict(disk_bus="scsi")   # a VM with no guest OS lets a scsi disk go (virtio would not)


def ok(run):
    assert run.rc == 0 and run.failed == 0, "%s\n%s" % (run.msg, run.stdout[-3000:])
    return run


def audit(attach_env, tmp_path, name, check=False, **extra):
    report = tmp_path / ("%s.json" % name)
    run = ok(run_playbook("volume_audit.yml", attach_env.vars(report_file=str(report), **extra),
                          check=check))
    return json.loads(report.read_text()), run


def disk_xml(xml, serial):
    for disk in ET.fromstring(xml).findall("devices/disk"):
        if (disk.findtext("serial") or "").strip() == serial:
            return ET.tostring(disk, encoding="unicode")
    return None


def found(report):
    return sorted((f["kind"], f["volume_id"]) for f in report["findings"])


def test_audit_reports_repairs_and_is_clean_after(attach_env, virt, tmp_path):
    libvirt = virt.libvirt
    dom = virt.define(start=True)
    gone = virt.define()                       # persistent only: config attach
    inst = dom.UUIDString()
    vol = dict((key, attach_env.new_volume()) for key in "ABCDE")
    for key in "ABCE":
        ok(attach_env.attach(inst, vol[key], extra=SCSI))
    ok(attach_env.attach(gone.UUIDString(), vol["D"], extra=SCSI))
    clean, dummy = audit(attach_env, tmp_path, "before")
    assert clean["findings"] == [] and set(clean["summary"].values()) == {0}

    # A: the disk removed by hand with libvirt (live and config)
    dom.detachDeviceFlags(disk_xml(virt.live_xml(dom), vol["A"]),
                          libvirt.VIR_DOMAIN_AFFECT_LIVE | libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    # B: its target deleted in tgtd (tgtd restarted without its include file)
    shown = attach_env.tgtd.tgtadm("--op", "show", "--mode", "target")
    tid = re.search(r"^Target (\d+): \S+volume-%s$" % vol["B"], shown, re.M).group(1)
    attach_env.tgtd.tgtadm("--op", "delete", "--mode", "target", "--tid", tid, "--force")
    # C: the attach killed after the disk was plugged in, before the BDM was saved
    attach_env.query("SELECT 1")   # the store exists; write through sqlite as a crash leaves it
    _sql(attach_env, "UPDATE volume_attachment SET attach_status = 'attaching' WHERE volume_id = ?",
         vol["C"])
    _sql(attach_env, "UPDATE volumes SET status = 'attaching', attach_status = 'attaching' "
         "WHERE id = ?", vol["C"])
    _sql(attach_env, "UPDATE block_device_mapping SET connection_info = NULL WHERE volume_id = ?",
         vol["C"])
    # D: the instance's domain undefined outside the collection
    gone.undefine()
    # E: the records lost (BDM and attachment deleted) while the disk stays, volume in-use
    _sql(attach_env, "UPDATE block_device_mapping SET deleted = id WHERE volume_id = ?", vol["E"])
    _sql(attach_env, "UPDATE volume_attachment SET deleted = 1 WHERE volume_id = ?", vol["E"])

    expected = sorted([
        ("bdm_without_disk", vol["A"]), ("bdm_without_disk", vol["D"]),
        ("attachment_without_export", vol["B"]), ("attachment_stuck", vol["C"]),
        ("export_without_attachment", vol["C"]), ("export_without_attachment", vol["D"]),
        ("export_without_attachment", vol["E"]), ("disk_without_bdm", vol["E"]),
        ("secret_without_disk", vol["D"]), ("volume_in_use_without_attachment", vol["E"])])
    report, run = audit(attach_env, tmp_path, "drift")
    assert found(report) == expected
    assert run.changed == 0

    # check mode: the plan, and nothing changed
    plan, run = audit(attach_env, tmp_path, "plan", check=True, repair=True)
    assert found(plan) == expected
    assert {"remove_export", "ensure_export", "detach", "delete_secret", "reattach",
            "delete_attachment", "destroy_bdm", "set_attachment"} - {
        a["op"] for a in plan["repaired"]} == {"set_attachment"}
    assert not attach_env.in_tgtd(vol["B"]) and attach_env.in_tgtd(vol["D"])
    assert disk_xml(virt.live_xml(dom), vol["A"]) is None
    assert attach_env.volume_status(vol["C"]) == "attaching"

    repaired, run = audit(attach_env, tmp_path, "repair", repair=True)
    assert found(repaired) == expected and run.changed > 0
    assert disk_xml(virt.live_xml(dom), vol["A"]) is not None          # attached again
    assert disk_xml(virt.config_xml(dom), vol["A"]) is not None
    assert attach_env.in_tgtd(vol["B"])                                # target made again
    for key in "CDE":                                                  # rolled back / cleaned
        assert attach_env.traces(vol[key]) == dict(
            tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available"), key
    assert disk_xml(virt.live_xml(dom), vol["C"]) is None
    assert disk_xml(virt.live_xml(dom), vol["E"]) is None
    assert attach_env.volume_status(vol["A"]) == "in-use"

    again, run = audit(attach_env, tmp_path, "after")
    assert again["findings"] == [] and run.changed == 0


def _sql(attach_env, sql, *args):
    import sqlite3
    conn = sqlite3.connect(attach_env.db_path)
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def test_attach_rerun_puts_back_a_disk_removed_by_hand(attach_env, virt):
    """The rerun of a finished attach looks at the domain once: a disk removed behind the
    records is attached again (same device, same BDM) instead of a success over nothing."""
    dom = virt.define()                        # stopped: its persistent config
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    ok(attach_env.attach(instance, volume_id, extra=SCSI))
    before = disk_xml(virt.config_xml(dom), volume_id)
    dom.detachDeviceFlags(before, virt.libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    assert disk_xml(virt.config_xml(dom), volume_id) is None
    again = ok(attach_env.attach(instance, volume_id, extra=SCSI))
    assert again.changed > 0
    after = disk_xml(virt.config_xml(dom), volume_id)
    assert after is not None and ET.fromstring(after).find("target").get("dev") == \
        ET.fromstring(before).find("target").get("dev")
    assert len(attach_env.bdms(volume_id)) == 1 and attach_env.volume_status(volume_id) == "in-use"
    assert ok(attach_env.attach(instance, volume_id, extra=SCSI)).changed == 0


def test_a_killed_attach_is_found_and_repaired(attach_env, virt, tmp_path):
    """kill -9 of ansible-playbook itself as "Save the BDM" starts: the disk is plugged in,
    the export made, the BDM and the attachment only reserved. The audit reports the stuck
    reservation and the export, repair rolls the attach back, the next audit is clean."""
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    with pytest.raises(AssertionError, match=r"recorded nothing \(rc -9\)"):
        attach_env.attach(instance, volume_id, extra=SCSI, fault_at="Save the BDM",
                          fault_command="kill -9 $PPID")   # the shell's parent: ansible-playbook
    assert attach_env.traces(volume_id, dom) == dict(
        tgtd=True, target_file=True, libvirt_secret=True, bdms=1, status="reserved", disk=True)

    report, run = audit(attach_env, tmp_path, "killed")
    assert found(report) == [("attachment_stuck", volume_id),
                             ("export_without_attachment", volume_id)]
    assert [f["detail"] for f in report["findings"] if f["kind"] == "attachment_stuck"][0] \
        .endswith("is reserved")
    repaired, run = audit(attach_env, tmp_path, "killed-repair", repair=True)
    assert run.changed > 0
    assert attach_env.traces(volume_id, dom) == dict(
        tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available",
        disk=False)
    again, run = audit(attach_env, tmp_path, "killed-after")
    assert again["findings"] == [] and run.changed == 0


def test_detach_rerun_removes_what_is_still_there(attach_env, virt):
    """A detach that finished in the records, with its disk back in the domain and its
    target back in tgtd (a restore, a hand edit, a remove_export that did not happen): the
    rerun looks at the domain and at tgtd, takes both away, and reports the change."""
    dom = virt.define()                        # stopped: its persistent config
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    ok(attach_env.attach(instance, volume_id, extra=SCSI))
    disk = disk_xml(virt.config_xml(dom), volume_id)
    shown = attach_env.tgtd.tgtadm("--op", "show", "--mode", "target")
    tid = re.search(r"^Target (\d+): (\S+volume-%s)$" % volume_id, shown, re.M).groups()
    ok(attach_env.detach(instance, volume_id))
    assert attach_env.traces(volume_id, dom) == dict(
        tgtd=False, target_file=False, libvirt_secret=False, bdms=0, status="available",
        disk=False)

    dom.attachDeviceFlags(disk, virt.libvirt.VIR_DOMAIN_AFFECT_CONFIG)
    attach_env.tgtd.tgtadm("--op", "new", "--mode", "target", "--tid", tid[0], "-T", tid[1])
    assert attach_env.in_tgtd(volume_id) and disk_xml(virt.config_xml(dom), volume_id)
    again = ok(attach_env.detach(instance, volume_id))
    assert again.changed > 0
    assert not attach_env.in_tgtd(volume_id) and disk_xml(virt.config_xml(dom), volume_id) is None
    assert ok(attach_env.detach(instance, volume_id)).changed == 0


def test_audit_finds_an_rbd_image_gone(attach_env, ceph, tmp_path):
    """An RBD volume's BDM (connection_info from rbd_connection, the real cluster) against
    the pool's images (part rbd): the image removed with rbd is a backing_store_missing.
    The instance has no domain here, so its BDM is also a bdm_without_disk."""
    volume_id, instance = str(uuid.uuid4()), str(uuid.uuid4())
    image = "volumes/volume-%s" % volume_id
    ceph.import_bytes(image, b"vbtest", 8 << 20)
    try:
        db = dict(db_path=attach_env.db_path)
        for module, args in (
                ("volume_state", dict(db, volume_id=volume_id, size=1)),
                ("bdm_record", dict(db, instance_uuid=instance, volume_id=volume_id,
                                    state="reserved"))):
            assert not run_module(module, args)["failed"]
        info = run_module("rbd_connection", ceph.client_args(volume_id=volume_id))
        saved = run_module("bdm_record", dict(db, instance_uuid=instance, volume_id=volume_id,
                                              state="present",
                                              connection_info=info["connection_info"]))
        assert not saved["failed"], saved.get("msg")
        rbd = dict(virtblock_rbd=ceph.client_args())
        report, run = audit(attach_env, tmp_path, "rbd", **rbd)
        assert found(report) == [("bdm_without_disk", volume_id)]
        ceph.rbd("rm", "--no-progress", image)
        report, run = audit(attach_env, tmp_path, "rbd-gone", **rbd)
        assert found(report) == [("backing_store_missing", volume_id),
                                 ("bdm_without_disk", volume_id)]
        assert ceph.key not in run.stdout
    finally:
        ceph.rbd("rm", "--no-progress", image, check=False)
