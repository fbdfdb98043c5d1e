"""Pure rules of the storage side: identifiers, CHAP, the target stanza,
connection_info and volume sizes."""

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import (
    chap, connection_info, identifiers)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volumes as volume_rules
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidConnectorException, InvalidInput)

VID = "8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2"
IQN = "iqn.2010-10.org.openstack:volume-" + VID


@pytest.mark.parametrize("bad", ["", None, "abc", "../" + VID, VID + "/..", "{%s}" % VID,
                                 VID.replace("-", ""), "urn:uuid:" + VID, VID + "0"])
def test_volume_ids_must_be_canonical_uuids(bad):
    with pytest.raises(InvalidInput):
        identifiers.validate_uuid(bad)


def test_volume_id_is_normalised_and_named_as_cinder():
    assert identifiers.volume_name(VID.upper()) == "volume-" + VID
    assert identifiers.target_iqn(None, VID) == IQN
    assert identifiers.target_iqn("iqn.2004-04.com.example:storage:", VID) == \
        "iqn.2004-04.com.example:storage:volume-" + VID


@pytest.mark.parametrize("prefix", ["iqn.2010-13.org.openstack:", "eui.02004567A425678D:", "iqn.10-10.org:",
                                    "iqn.2010-10.org.openstack", "iqn.2010-10.Org Stack:"])
def test_bad_prefixes_are_refused(prefix):
    with pytest.raises(InvalidInput):
        identifiers.target_iqn(prefix, VID)


def test_portals():
    assert identifiers.portal("127.0.0.1", 3260) == "127.0.0.1:3260"
    assert identifiers.portal("::1", 3260) == "[::1]:3260"
    for address, port in (("127.0.0.1", 0), ("127.0.0.1", 65536), ("host.example", 3260)):
        with pytest.raises(InvalidInput):
            identifiers.portal(address, port)


def test_generated_chap_credentials_look_like_cinders():
    user, password, generated = chap.resolve()
    assert generated and len(user) == 20 and len(password) == 16
    alphabet = set("".join(chap.SYMBOL_GROUPS))
    assert set(user) <= alphabet and set(password) <= alphabet
    assert not set("0O1lI") & set(user + password)
    assert len({chap.generate(16) for dummy in range(50)}) == 50


def test_existing_credentials_are_kept_and_given_ones_win():
    assert chap.resolve(existing=("keptuser", "KeptPassword12")) == ("keptuser", "KeptPassword12", False)
    assert chap.resolve(password="NewPassword123", existing=("keptuser", "KeptPassword12"))[:2] == \
        ("keptuser", "NewPassword123")
    # A new user name does not inherit the old user's secret.
    user, password, generated = chap.resolve(username="other", existing=("keptuser", "KeptPassword12"))
    assert user == "other" and password != "KeptPassword12" and generated


@pytest.mark.parametrize("password", ["short", "has space inside", "comma,inside12", "x" * 256])
def test_bad_chap_passwords_are_refused_without_echoing_them(password):
    with pytest.raises(InvalidInput) as err:
        chap.validate_password(password)
    assert password not in str(err.value)


STANZA = """<target %s>
    backing-store /srv/volume
    driver iscsi
    incominguser user01 Password0123
    bsoflags direct
    initiator-name iqn.1993-08.org.debian:01:abc
    write-cache off
    scsi_sn volume-3b9f
    scsi_id volume-3b9f
</target>
""" % IQN


def test_parse_a_cinder_stanza():
    spec = tgt_config.parse(STANZA)
    assert spec.iqn == IQN and spec.backing_store == "/srv/volume" and spec.driver == "iscsi"
    assert spec.incoming_users == [("user01", "Password0123")]
    assert spec.initiator_names == ["iqn.1993-08.org.debian:01:abc"]
    assert spec.acl_addresses == ["ALL"]
    assert spec.bsoflags == "direct" and spec.write_cache is False
    assert spec.scsi_sn == spec.scsi_id == "volume-3b9f"
    assert tgt_config.existing_chap(STANZA) == ("user01", "Password0123")


@pytest.mark.parametrize("text, message", [
    ("", "no complete"),
    ("<target %s>\n backing-store /a\n" % IQN, "no complete"),
    ("<target %s>\n driver iscsi\n</target>\n" % IQN, "no backing-store"),
    ("<target %s>\n backing-store /a\n vendor_id X\n</target>\n" % IQN, "not supported"),
    ("<target %s>\n backing-store /a\n</target>\n<target %s>\n</target>\n" % (IQN, IQN), "only one"),
    ("<target %s>\n backing-store /a\n incominguser onlyuser\n</target>\n" % IQN, "user and a password"),
    ("<target bad-name>\n backing-store /a\n</target>\n", "not a valid iSCSI"),
    ("<target %s>\n backing-store /a\n incominguser %s %s\n</target>\n"
     % (IQN, tgt_config.CHAP_USERNAME_PLACEHOLDER, tgt_config.CHAP_PASSWORD_PLACEHOLDER), "placeholders"),
])
def test_parse_refuses_what_it_cannot_apply(text, message):
    with pytest.raises(InvalidInput) as err:
        tgt_config.parse(text)
    assert message in str(err.value)


def test_template_names_the_lun_volume_id_as_cinder():
    values = tgt_config.template_vars(IQN, "/srv/volume")
    assert values["scsi_sn"] == values["scsi_id"] == IQN.split(":", 1)[1]


def test_secrets_are_filled_on_the_host_and_masked_for_output():
    rendered = "<target %s>\n backing-store /a\n incominguser %s %s\n</target>\n" % (
        IQN, tgt_config.CHAP_USERNAME_PLACEHOLDER, tgt_config.CHAP_PASSWORD_PLACEHOLDER)
    filled = tgt_config.fill_secrets(rendered, "user01", "Password0123")
    assert "incominguser user01 Password0123" in filled
    masked = tgt_config.mask_secrets(filled, ["Password0123"])
    assert "Password0123" not in masked and "incominguser ******** ********" in masked


def test_validate_connector_uses_cinders_wording():
    """cinder/volume/targets/iscsi.py ISCSITarget.validate_connector raises
    InvalidConnectorException(missing='initiator') (cinder/exception.py wording)."""
    assert connection_info.validate_connector({"initiator": "iqn.1993-08.org.debian:01:abc"})
    with pytest.raises(InvalidConnectorException) as err:
        connection_info.validate_connector({"ip": "127.0.0.1"})
    assert str(err.value) == "Connector doesn't have required information: initiator"


def test_connection_info_single_and_multiple_portals():
    single = connection_info.iscsi_connection_info(VID, IQN, ["127.0.0.1:3260"], 1, chap=("u", "p"))
    assert single == {"driver_volume_type": "iscsi", "data": {
        "target_discovered": False, "target_iqn": IQN, "target_portal": "127.0.0.1:3260", "target_lun": 1,
        "volume_id": VID, "access_mode": "rw", "encrypted": False, "qos_specs": None, "discard": False,
        "auth_method": "CHAP", "auth_username": "u", "auth_password": "p"}}
    multi = connection_info.iscsi_connection_info(VID, IQN, ["127.0.0.1:3260", "127.0.0.2:3260"], 1,
                                                  access_mode="ro", discard=True)
    assert multi["data"]["target_portals"] == ["127.0.0.1:3260", "127.0.0.2:3260"]
    assert multi["data"]["target_iqns"] == [IQN, IQN] and multi["data"]["target_luns"] == [1, 1]
    assert multi["data"]["access_mode"] == "ro" and multi["data"]["discard"] is True
    assert "auth_method" not in multi["data"]


def test_a_multipath_connector_gets_the_plural_keys_even_for_one_portal():
    # Cinder's _get_iscsi_properties: "if nr_portals > 1 or multipath".
    one = connection_info.iscsi_connection_info(VID, IQN, ["127.0.0.1:3260"], 1, multipath=True)
    assert one["data"]["target_portals"] == ["127.0.0.1:3260"]
    assert one["data"]["target_iqns"] == [IQN] and one["data"]["target_luns"] == [1]


def test_volume_sizes_follow_cinder():
    GiB, MiB = volume_rules.GiB, volume_rules.MiB
    assert volume_rules.requested_bytes(size=2) == 2 * GiB
    assert volume_rules.requested_bytes(size_mib=5) == 5 * MiB
    assert volume_rules.gib(1) == 1 and volume_rules.gib(GiB) == 1 and volume_rules.gib(GiB + 1) == 2
    assert volume_rules.creation_size(None, "image", 300 * MiB) == GiB
    assert volume_rules.creation_size(None, "volume", 300 * MiB) == 300 * MiB
    assert volume_rules.resize_action(GiB, GiB) is None
    assert volume_rules.resize_action(GiB, 2 * GiB) == "extend"
    with pytest.raises(InvalidInput):
        volume_rules.resize_action(2 * GiB, GiB)
    with pytest.raises(volume_rules.ImageUnacceptable) as err:
        volume_rules.creation_size(GiB, "image", 2 * GiB, image_id="img")
    assert "Image virtual size is 2GB and doesn't fit in a volume of size 1GB." in str(err.value)
    with pytest.raises(volume_rules.ImageUnacceptable):
        volume_rules.check_image_info("img", {"format": "qcow2", "virtual-size": 1, "backing-filename": "/b"})
