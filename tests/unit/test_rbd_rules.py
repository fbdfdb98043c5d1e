"""Pure rules for RBD volumes: Cinder's connection_info and location parsing, the ceph
secret's value, the rbd <disk> (monitors without a port)."""

import base64
import os

import jinja2
import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.connection_info import rbd_connection_info
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.volumes import parse_rbd_location

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "templates")
KEY = "AQBjifhjdv+0ORAAFWZTU30onDsqcmEJoNz+Tg=="
VID = "9a53945a-b745-493e-8710-0f2c92e1fb5f"


def test_connection_info_has_the_seed_rows_keys():
    info = rbd_connection_info("volumes", VID, ["10.101.24.27", "10.101.24.28"], [6789, "6789"],
                               user="cinder", secret_uuid="817cf80b-d3c5-47b2-9a70-aa578e539107")
    data = info["data"]
    assert info["driver_volume_type"] == "rbd"
    assert data["name"] == "volumes/volume-" + VID and data["ports"] == ["6789", "6789"]
    assert data["auth_enabled"] is True and data["keyring"] is None and data["discard"] is True
    no_auth = rbd_connection_info("volumes", VID, ["h"], ["6789"])["data"]
    assert no_auth["auth_enabled"] is False and no_auth["auth_username"] is None
    with pytest.raises(InvalidInput):
        rbd_connection_info("volumes", VID, [], [])


def test_ceph_secret_holds_the_decoded_key_and_chap_the_text():
    assert disk_config.secret_value("ceph", KEY) == base64.b64decode(KEY)
    assert disk_config.secret_value("iscsi", "Pa55word") == b"Pa55word"
    for bad in ("not-a-key", "QUJD"):
        with pytest.raises(InvalidInput) as err:
            disk_config.secret_value("ceph", bad)
        assert bad not in err.value.msg


def test_glance_location_must_be_this_clusters_snapshot():
    fsid = "2e3e1017-bd0d-4f30-9f39-99f4acf5afb0"
    assert parse_rbd_location("rbd://%s/images/abc/snap" % fsid, fsid) == ("images", "abc", "snap")
    for bad in ("images/abc@snap", "rbd://%s/images/abc" % fsid, "rbd://other/images/abc/snap"):
        with pytest.raises(InvalidInput):
            parse_rbd_location(bad, fsid)


def render(info):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("libvirt_disk.xml.j2").render(**disk_config.build(info, serial=VID, bus="virtio"))


def test_rbd_disk_names_monitors_and_never_port_none():
    data = {"name": "volumes/volume-" + VID, "hosts": ["10.0.0.1", "10.0.0.2"], "ports": ["6789", None],
            "auth_enabled": True, "auth_username": "cinder", "discard": True, "keyring": "[client.cinder]\n"}
    xml = render({"driver_volume_type": "rbd", "data": data})
    assert '<host name="10.0.0.1" port="6789"/>' in xml and '<host name="10.0.0.2"/>' in xml
    assert "None" not in xml and "keyring" not in xml and 'discard="unmap"' in xml
    assert '<secret type="ceph" uuid=' in xml and '<auth username="cinder">' in xml
    no_ports = render({"driver_volume_type": "rbd", "data": dict(data, ports=None)})
    assert '<host name="10.0.0.2"/>' in no_ports and "None" not in no_ports


def test_rbd_adapter_passes_the_key_only_as_a_private_file():
    from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.rbd import Rbd
    seen = []

    def run(argv, **options):
        # AnsibleModule.run_command's keywords, as the shared command runner passes them.
        assert options["environ_update"]["LC_ALL"] == "C"
        seen.append(list(argv))
        keyring = argv[argv.index("--keyring") + 1]
        assert os.stat(keyring).st_mode & 0o777 == 0o600
        assert os.stat(os.path.dirname(keyring)).st_mode & 0o777 == 0o700
        with open(keyring) as handle:
            assert KEY in handle.read()
        return 0, "{}", ""

    with Rbd(run, user="cinder", key=KEY, mon_host=["127.0.0.9:6789"]) as rbd:
        rbd.create("volume-" + VID, 1 << 20)
        uri = rbd.qemu_uri("volume-" + VID)
        private = os.path.dirname(rbd.keyring)
    assert seen and all(KEY not in " ".join(argv) for argv in seen) and KEY not in uri
    assert "--client_mount_timeout" in seen[0] and not os.path.exists(private)
