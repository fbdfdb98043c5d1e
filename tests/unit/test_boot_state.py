"""rules/boot_state.unfinished_disks: what a boot rerun has still to do (issue 16 item 5)."""

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.boot_state import unfinished_disks

ROOT, GIVEN, SHELVED = "11111111-1111-5111-8111-111111111111", "22222222-2222-4222-8222-222222222222", \
    "33333333-3333-4333-8333-333333333333"
PLAN = {"disks": [{"device_name": "/dev/vda", "volume_id": ROOT, "boot_index": 0},
                  {"device_name": "/dev/vdb", "path": "/i/disk.swap", "boot_index": None},
                  {"device_name": "/dev/vdc", "volume_id": GIVEN, "boot_index": None}],
        "unshelve": [{"device_name": "/dev/vdd", "volume_id": SHELVED, "boot_index": None}]}


def done():
    rows = [dict(device_name="/dev/vda", volume_id=ROOT, connection_info={"driver_volume_type": "iscsi"},
                 boot_index=0, destination_type="volume", deleted=False),
            dict(device_name="/dev/vdb", volume_id=None, connection_info=None, boot_index=None,
                 destination_type="local", deleted=False),
            dict(device_name="/dev/vdc", volume_id=GIVEN, connection_info={"driver_volume_type": "iscsi"},
                 boot_index=None, destination_type="volume", deleted=False),
            dict(device_name="/dev/vdd", volume_id=SHELVED, connection_info={"driver_volume_type": "iscsi"},
                 boot_index=None, destination_type="volume", deleted=False)]
    attachments = [dict(volume_id=v, instance_uuid="i", attach_status="attached") for v in (ROOT, GIVEN, SHELVED)]
    domain = dict(exists=True, running=True, device_names=["vda", "vdb", "vdc", "vdd"],
                  disks=[dict(dev="vda", serial=ROOT), dict(dev="vdb", serial=None),
                         dict(dev="vdc", serial=GIVEN), dict(dev="vdd", serial=SHELVED)])
    return rows, attachments, domain


def test_a_finished_boot_has_nothing_left():
    assert unfinished_disks(PLAN, *done()) == []


def test_a_stopped_or_missing_domain_is_left_to_do():
    rows, attachments, domain = done()
    assert unfinished_disks(PLAN, rows, attachments, dict(domain, running=False)) == ["domain"]
    assert unfinished_disks(PLAN, rows, attachments, dict(exists=False, running=False)) == ["domain"]


def test_each_missing_piece_names_its_disk():
    rows, attachments, domain = done()
    # killed before the BDM save: no connection_info in the row
    assert unfinished_disks(PLAN, [dict(r, connection_info=None) if r["volume_id"] == GIVEN else r
                                   for r in rows], attachments, domain) == ["/dev/vdc"]
    # killed before "in-use": the attachment is still attaching
    assert unfinished_disks(PLAN, rows, [dict(a, attach_status="attaching") if a["volume_id"] == ROOT
                                         else a for a in attachments], domain) == ["/dev/vda"]
    # a disk taken out of the domain by hand, a local disk's BDM lost
    assert unfinished_disks(PLAN, [r for r in rows if r["device_name"] != "/dev/vdb"], attachments,
                            dict(domain, disks=[d for d in domain["disks"] if d["dev"] != "vdd"])) \
        == ["/dev/vdb", "/dev/vdd"]
    # the boot index not saved yet
    assert unfinished_disks(PLAN, [dict(r, boot_index=None) if r["volume_id"] == ROOT else r
                                   for r in rows], attachments, domain) == ["/dev/vda"]
