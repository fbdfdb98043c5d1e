import json

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import bdm as bdm_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidVolume

VOL = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
ISCSI = {"driver_volume_type": "iscsi", "data": {
    "auth_password": "YZ2Hceyh7VySh5HY", "auth_username": "nE9PY8juynmmZ95F7Xb7",
    "auth_method": "CHAP", "target_iqn": "iqn.2010-10.org.openstack:volume-" + VOL,
    "target_portal": "127.0.0.1:3260", "target_lun": 1, "volume_id": VOL,
    "access_mode": "rw", "discovery_auth_password": "disco-secret-1"}}
RBD = {"driver_volume_type": "rbd", "data": {
    "keyring": "[client.cinder]\n\tkey = AQBjifhjdv+0ORAAFWZTU30onDsqcmEJoNz+Tg==\n",
    "secret_uuid": "817cf80b-d3c5-47b2-9a70-aa578e539107", "name": "volumes/volume-" + VOL,
    "auth_username": "cinder", "hosts": ["127.0.0.1"], "ports": ["6789"]}}


def test_already_attached():
    bdm_rules.check_not_attached(VOL, [])
    with pytest.raises(InvalidVolume) as err:
        bdm_rules.check_not_attached(VOL, [{"id": 1}])
    assert str(err.value) == "Invalid volume: volume %s already attached" % VOL


def test_chap_secrets_stripped_detach_fields_kept():
    text, removed = bdm_rules.stored_connection_info(ISCSI)
    assert "YZ2Hceyh7VySh5HY" not in text and "disco-secret-1" not in text
    stored = json.loads(text)
    # The CHAP user goes too (issue 14: half of the credentials, not needed to detach).
    assert sorted(removed) == ["data.auth_password", "data.auth_username", "data.discovery_auth_password"]
    assert "auth_username" not in stored["data"]
    for key in ("target_iqn", "target_portal", "target_lun", "auth_method"):
        assert stored["data"][key] == ISCSI["data"][key]
    assert stored["data"]["virtblock_secrets_removed"] == sorted(removed)
    assert ISCSI["data"]["auth_password"] == "YZ2Hceyh7VySh5HY"  # input untouched


def test_ceph_keyring_stripped_secret_uuid_kept():
    text, removed = bdm_rules.stored_connection_info(json.dumps(RBD))
    assert "AQBjifhjdv" not in text and removed == ["data.keyring"]
    assert json.loads(text)["data"]["secret_uuid"] == RBD["data"]["secret_uuid"]


def test_empty_connection_info():
    assert bdm_rules.stored_connection_info(None) == (None, [])


def test_attachment_view():
    row = {"volume_id": VOL, "instance_uuid": "i", "device_name": "/dev/vdb", "tag": None,
           "delete_on_termination": 0, "attachment_id": "a", "uuid": "u"}
    view = bdm_rules.attachment_view(row)
    assert view == {"id": VOL, "volumeId": VOL, "serverId": "i", "device": "/dev/vdb",
                    "tag": None, "delete_on_termination": False, "attachment_id": "a",
                    "bdm_uuid": "u"}
