"""Verify the boot_from_volume scenario: the domain runs with its disks (volumes by serial,
the swap disk local), the BDM rows and the volume states are Nova's and Cinder's."""

import json
import os

import yaml

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(HERE, "vars", "scenario.yml")) as handle:
    VARS = yaml.safe_load(handle)
# vars/scenario.yml names them after the run id test_molecule.py passes (or the default).
RUN_ID = os.environ.get("VIRTBLOCK_MOLECULE_RUN_ID", "00000000000")
DB = VARS["vbtest_molecule_dir"].replace("{{ vbtest_molecule_run_id }}", RUN_ID) + "/records.sqlite"
NAME = VARS["virtblock_server"]["name"].replace("{{ vbtest_molecule_run_id }}", RUN_ID)


def sql(host, query):
    out = host.check_output("sqlite3 -json %s %s", DB, query)
    return json.loads(out) if out.strip() else []


def domain(name):
    import libvirt
    conn = libvirt.open("qemu:///system")
    try:
        dom = conn.lookupByName(name)
        return dom.isActive(), dom.XMLDesc(0)
    finally:
        conn.close()


def test_domain_runs_with_the_volumes_by_serial(host):
    running, xml = domain(NAME)
    assert running
    rows = sql(host, "select volume_id from block_device_mapping "
                     "where deleted = 0 and volume_id is not null")
    assert len(rows) == 2
    for row in rows:
        assert "<serial>%s</serial>" % row["volume_id"] in xml
    assert "disk.swap" in xml


def test_bdm_rows_and_volume_states(host):
    rows = sql(host, "select device_name, source_type, destination_type, boot_index, "
                     "guest_format, volume_id, delete_on_termination from block_device_mapping "
                     "where deleted = 0 order by device_name")
    assert [(r["device_name"], r["source_type"], r["destination_type"]) for r in rows] == [
        ("/dev/vda", "image", "volume"), ("/dev/vdb", "blank", "local"),
        ("/dev/vdc", "blank", "volume")]
    assert rows[0]["boot_index"] == 0 and rows[0]["delete_on_termination"] == 1
    assert rows[1]["guest_format"] == "swap"
    volumes = sql(host, "select id, status, bootable from volumes order by bootable desc")
    assert [(v["status"], v["bootable"]) for v in volumes] == [("in-use", 1), ("in-use", 0)]


def test_targets_in_tgtd(host):
    port = os.environ.get("VIRTBLOCK_MOLECULE_TGT_PORT", "27")
    out = host.check_output("tgtadm -C %s --lld iscsi --op show --mode target", port)
    for row in sql(host, "select volume_id from block_device_mapping "
                         "where deleted = 0 and volume_id is not null"):
        assert "volume-%s" % row["volume_id"] in out
