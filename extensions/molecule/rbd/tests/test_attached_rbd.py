"""After converge (attach_volume.yml with virtblock_backend rbd, twice): the RBD volume is a
network disk of the running domain, live and persistent, with its serial, monitors and cephx
user; libvirt's ceph secret exists; the BDM row is Cinder's RBD connection_info without the
keyring; the volume is in-use; the key is in no row."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import checks  # noqa: E402

# As vars/rbd.yml: the test session's cluster, else the scenario's own.
CEPH_DIR = os.environ.get("VIRTBLOCK_MOLECULE_CEPH_DIR") or checks.BASE + "/ceph"
CEPH_USER = os.environ.get("VIRTBLOCK_MOLECULE_CEPH_USER") or "vbtest-molecule-" + checks.RUN_ID
IMAGE = "volumes/volume-" + checks.VOLUME


def cephx_key():
    with open(os.path.join(CEPH_DIR, CEPH_USER + ".keyring")) as handle:
        return re.search(r"key\s*=\s*(\S+)", handle.read()).group(1)


def test_rbd_network_disk_with_its_serial_live_and_config():
    for inactive in (False, True):
        xml = checks.domain_xml(inactive)
        assert "<serial>%s</serial>" % checks.VOLUME in xml
        assert "protocol='rbd' name='%s'" % IMAGE in xml
        assert "username='%s'" % CEPH_USER in xml and "<secret type='ceph'" in xml
        assert "<target dev='sda' bus='scsi'/>" in xml
        assert cephx_key() not in xml


def test_ceph_secret_defined():
    assert "client.%s secret" % CEPH_USER in checks.secret_usages()


def test_bdm_row_is_cinders_rbd_connection_info_without_the_key():
    rows = checks.sql("SELECT device_name, connection_info FROM block_device_mapping "
                      "WHERE volume_id = '%s' AND deleted = 0" % checks.VOLUME)
    assert len(rows) == 1 and rows[0]["device_name"] == "/dev/sda"
    info = json.loads(rows[0]["connection_info"])
    assert info["driver_volume_type"] == "rbd"
    data = info["data"]
    assert data["name"] == IMAGE and data["auth_username"] == CEPH_USER
    assert data["secret_type"] == "ceph" and "keyring" not in data   # never stored
    assert cephx_key() not in checks.host.check_output("sqlite3 %s .dump", checks.BASE + "/records.sqlite")
    status = checks.sql("SELECT status FROM volumes WHERE id = '%s'" % checks.VOLUME)
    assert status == [{"status": "in-use"}]
