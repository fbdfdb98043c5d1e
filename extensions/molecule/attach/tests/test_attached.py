"""After converge (attach_volume.yml, twice): the volume is exported, in the running
domain live and persistent with its serial, recorded in the BDM and in-use."""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import checks  # noqa: E402


def test_target_is_in_the_scenarios_tgtd():
    assert checks.IQN in checks.targets()


def test_disk_with_its_serial_in_the_domain_live_and_config():
    for inactive in (False, True):
        xml = checks.domain_xml(inactive)
        assert "<serial>%s</serial>" % checks.VOLUME in xml
        assert "<target dev='sda' bus='scsi'/>" in xml


def test_bdm_row_and_volume_in_use():
    rows = checks.sql("SELECT device_name, connection_info FROM block_device_mapping "
                            "WHERE volume_id = '%s' AND deleted = 0" % checks.VOLUME)
    assert len(rows) == 1 and rows[0]["device_name"] == "/dev/sda"
    data = json.loads(rows[0]["connection_info"])["data"]
    assert data["target_iqn"] == checks.IQN and "auth_password" not in data   # secret not stored
    status = checks.sql("SELECT status FROM volumes WHERE id = '%s'" % checks.VOLUME)
    assert status == [{"status": "in-use"}]
