"""After converge (detach_volume.yml, twice): no export, no disk, no BDM, volume available."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
import checks  # noqa: E402


def test_no_target_left():
    assert checks.IQN not in checks.targets()
    assert not checks.host.file(checks.BASE + "/volumes/volume-" + checks.VOLUME).exists


def test_no_disk_and_no_secret_left():
    for inactive in (False, True):
        assert checks.VOLUME not in checks.domain_xml(inactive)
    assert not [usage for usage in checks.secret_usages() if checks.IQN in usage]


def test_bdm_destroyed_and_volume_available():
    rows = checks.sql("SELECT id FROM block_device_mapping "
                      "WHERE volume_id = '%s' AND deleted = 0" % checks.VOLUME)
    assert rows == []
    status = checks.sql("SELECT status FROM volumes WHERE id = '%s'" % checks.VOLUME)
    assert status == [{"status": "available"}]
