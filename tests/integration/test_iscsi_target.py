"""iscsi_target against a real tgtd (the session fixture), through ansible."""

import os
import stat
import subprocess
import uuid

import pytest

from support import ports
from support.ansible_run import run_module

MiB = 1024 * 1024


@pytest.fixture
def volume(tmp_path):
    """A fresh volume id and a 32 MiB backing file."""
    path = tmp_path / "backing"
    with open(path, "wb") as handle:
        handle.truncate(32 * MiB)
    return str(uuid.uuid4()), str(path)


def export(tgtd, volume_id, backing, check=False, diff=False, **extra):
    args = tgtd.module_args(volume_id=volume_id, backing_store=backing, **extra)
    return run_module("iscsi_target", args, check=check, diff=diff)


def url(tgtd, data, password=None, user=None):
    return "iscsi://%s%%%s@%s:%d/%s/%d" % (user or data["auth_username"], password or data["auth_password"],
                                           tgtd.ip, tgtd.port, data["target_iqn"], data["target_lun"])


def readcapacity(target_url):
    return subprocess.run(["iscsi-readcapacity16", target_url], capture_output=True, text=True, timeout=30, check=False)


def live_targets(tgtd):
    return tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")


def accounts(tgtd):
    return tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "account")


def test_export_serves_lun1_with_chap_and_data_reaches_the_backing_file(tgtd, volume):
    volume_id, backing = volume
    result = export(tgtd, volume_id, backing)
    assert result.get("changed") is True, result
    info = result["connection_info"]
    data = info["data"]
    assert info["driver_volume_type"] == "iscsi"
    assert data["target_iqn"] == "iqn.2010-10.org.openstack:volume-%s" % volume_id
    assert data["target_lun"] == 1
    assert data["target_portal"] == "%s:%d" % (tgtd.ip, tgtd.port)
    assert data["auth_method"] == "CHAP"
    assert len(data["auth_username"]) == 20 and len(data["auth_password"]) == 16
    assert data["volume_id"] == volume_id and data["access_mode"] == "rw"
    assert data["target_discovered"] is False and data["encrypted"] is False
    assert "target_portals" not in data

    capacity = readcapacity(url(tgtd, data))
    assert capacity.returncode == 0, capacity.stderr
    # LBA of the last block: 32 MiB in 512-byte blocks, minus one.
    assert "RETURNED LOGICAL BLOCK ADDRESS:%d" % (32 * MiB // 512 - 1) in capacity.stdout

    refused = readcapacity(url(tgtd, data, password="WrongPassword123"))
    assert refused.returncode != 0
    assert "Authentication failure" in refused.stdout + refused.stderr

    write = subprocess.run(["qemu-io", "-f", "raw", "-c", "write -P 0xab 4096 4096", url(tgtd, data)],
                           capture_output=True, text=True, timeout=60, check=False)
    assert write.returncode == 0, write.stderr
    with open(backing, "rb") as handle:
        handle.seek(4096)
        assert handle.read(4096) == b"\xab" * 4096

    target_file = result["target_file"]
    assert stat.S_IMODE(os.stat(target_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tgtd.volumes_dir).st_mode) == 0o700
    assert data["auth_password"] not in result["target_config"]
    assert "********" in result["target_config"]


def test_second_run_and_check_mode_change_nothing(tgtd, volume):
    volume_id, backing = volume
    predicted = export(tgtd, volume_id, backing, check=True)
    assert predicted["changed"] is True
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))
    assert volume_id not in live_targets(tgtd)

    first = export(tgtd, volume_id, backing)
    assert first["changed"] is True
    second = export(tgtd, volume_id, backing)
    assert second["changed"] is False
    assert second["connection_info"] == first["connection_info"]
    assert export(tgtd, volume_id, backing, check=True)["changed"] is False


def test_diff_shows_the_stanza_with_the_secret_masked(tgtd, volume):
    volume_id, backing = volume
    result = export(tgtd, volume_id, backing, diff=True, chap_username="operator01",
                    chap_password="Secret-Pass-0001")
    assert result["changed"] is True
    after = result["diff"]["after"]
    assert "incominguser ******** ********" in after and "operator01" not in after
    assert "Secret-Pass-0001" not in after
    assert "Secret-Pass-0001" not in result["target_config"]
    assert "backing-store %s" % backing in after and "write-cache on" in after
    assert result["diff"]["before"] == ""


def test_given_credentials_are_used_and_a_new_password_replaces_the_old(tgtd, volume):
    volume_id, backing = volume
    first = export(tgtd, volume_id, backing, chap_username="operator02", chap_password="FirstSecret-001")
    data = first["connection_info"]["data"]
    # A secret the caller passed is masked by Ansible wherever it appears in the result.
    assert (data["auth_username"], data["auth_password"]) == ("operator02", "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")
    assert "FirstSecret-001" not in first["_stdout"]
    assert readcapacity(url(tgtd, data, password="FirstSecret-001")).returncode == 0

    second = export(tgtd, volume_id, backing, chap_username="operator02", chap_password="SecondSecret-02")
    assert second["changed"] is True
    assert readcapacity(url(tgtd, data, password="SecondSecret-02")).returncode == 0
    assert readcapacity(url(tgtd, data, password="FirstSecret-001")).returncode != 0


def test_restarted_tgtd_brings_the_target_back_from_its_file(tgtd, volume):
    volume_id, backing = volume
    data = export(tgtd, volume_id, backing)["connection_info"]["data"]
    tgtd.restart()
    assert data["target_iqn"] in live_targets(tgtd)
    assert data["auth_username"] in accounts(tgtd)
    assert readcapacity(url(tgtd, data)).returncode == 0
    # Nothing to do after the restart: the running target is the one in the file.
    assert export(tgtd, volume_id, backing)["changed"] is False


def test_a_target_lost_from_tgtd_is_recreated(tgtd, volume):
    volume_id, backing = volume
    first = export(tgtd, volume_id, backing)
    tgtd.tgtadm("--lld", "iscsi", "--op", "delete", "--mode", "target", "--tid", str(first["tid"]))
    again = export(tgtd, volume_id, backing)
    assert again["changed"] is True
    assert readcapacity(url(tgtd, again["connection_info"]["data"])).returncode == 0


def scsi_lines(tgtd, iqn):
    """The "SCSI ID"/"SCSI SN" lines tgtd shows for LUN 1 of *iqn*."""
    text = live_targets(tgtd)
    section = text[text.index(iqn):].split("LUN: 1", 1)[1].split("LUN: ", 1)[0]
    return sorted(line.strip() for line in section.splitlines() if line.strip().startswith("SCSI "))


def test_lun_serial_and_wwid_name_the_volume_as_cinder_does(tgtd, volume):
    volume_id, backing = volume
    result = export(tgtd, volume_id, backing)
    name = "volume-" + volume_id
    with open(result["target_file"]) as handle:
        text = handle.read()
    assert "    scsi_sn %s\n    scsi_id %s\n</target>" % (name, name) in text
    # tgtd keeps 36 characters of each (under Cinder too).
    assert scsi_lines(tgtd, result["iqn"]) == ["SCSI ID: " + name[:36], "SCSI SN: " + name[:36]]


def test_a_running_target_without_scsi_ids_is_updated_on_rerun(tgtd, volume):
    volume_id, backing = volume
    first = export(tgtd, volume_id, backing)
    # What an export made before scsi_sn/scsi_id were in the stanza looks like: the
    # file without them, tgtd with its own defaults.
    with open(first["target_file"]) as handle:
        old = "".join(line for line in handle if "scsi_" not in line)
    with open(first["target_file"], "w") as handle:
        handle.write(old)
    tgtd.tgtadm("--lld", "iscsi", "--op", "update", "--mode", "logicalunit", "--tid", str(first["tid"]),
                "--lun", "1", "--params", "scsi_sn=beaf10,scsi_id=beaf10")
    again = export(tgtd, volume_id, backing)
    assert again["changed"] is True
    name = "volume-" + volume_id
    assert scsi_lines(tgtd, again["iqn"]) == ["SCSI ID: " + name[:36], "SCSI SN: " + name[:36]]
    assert export(tgtd, volume_id, backing)["changed"] is False


def test_portal_for_compute_hosts_and_listen_address_are_apart(tgtd, volume):
    volume_id, backing = volume
    # Compute hosts reach tgtd (listening on tgtd.ip) as 10.0.2.41, e.g. through NAT.
    result = export(tgtd, volume_id, backing, target_ip_address="10.0.2.41",
                    listen_ip_addresses=[tgtd.ip])
    assert not result["failed"], result.get("msg")
    assert result["connection_info"]["data"]["target_portal"] == "10.0.2.41:%d" % tgtd.port
    wrong = export(tgtd, str(uuid.uuid4()), backing, target_ip_address="10.0.2.41",
                   listen_ip_addresses=["127.0.0.254"])
    assert wrong["failed"]
    assert "does not listen on 127.0.0.254:%d" % tgtd.port in wrong["msg"]
    assert "%s:%d" % (tgtd.ip, tgtd.port) in wrong["msg"]


def test_a_multipath_connector_gets_the_plural_keys(tgtd, volume):
    volume_id, backing = volume
    connector = {"initiator": "iqn.1993-08.org.debian:01:compute1", "multipath": True}
    data = export(tgtd, volume_id, backing, connector=connector)["connection_info"]["data"]
    assert data["target_portals"] == ["%s:%d" % (tgtd.ip, tgtd.port)]
    assert data["target_iqns"] == [data["target_iqn"]] and data["target_luns"] == [1]


def test_absent_leaves_no_target_account_or_file(tgtd, volume):
    volume_id, backing = volume
    created = export(tgtd, volume_id, backing)
    data = created["connection_info"]["data"]
    args = tgtd.module_args(volume_id=volume_id, state="absent")
    predicted = run_module("iscsi_target", args, check=True)
    assert predicted["changed"] is True and data["target_iqn"] in live_targets(tgtd)
    removed = run_module("iscsi_target", args)
    assert removed["changed"] is True
    assert data["target_iqn"] not in live_targets(tgtd)
    assert data["auth_username"] not in accounts(tgtd)
    assert not os.path.exists(created["target_file"])
    assert run_module("iscsi_target", args)["changed"] is False


def test_secondary_portals_give_the_plural_keys(tgtd, volume):
    volume_id, backing = volume
    data = export(tgtd, volume_id, backing, target_secondary_ip_addresses=["127.0.0.9"],
                  use_chap_auth=False)["connection_info"]["data"]
    assert data["target_portals"] == ["%s:3260" % tgtd.ip, "127.0.0.9:3260"]
    assert data["target_iqns"] == [data["target_iqn"]] * 2
    assert data["target_luns"] == [1, 1]
    assert "auth_method" not in data and "auth_password" not in data


def test_initiator_acl_and_flags_reach_tgtd(tgtd, volume):
    volume_id, backing = volume
    initiator = "iqn.1993-08.org.debian:01:compute1"
    result = export(tgtd, volume_id, backing, initiators=[initiator], target_flags="direct",
                    connector={"initiator": initiator, "ip": "127.0.0.3", "host": "compute1"})
    assert result["changed"] is True
    shown = live_targets(tgtd).split("Target ")
    mine = [block for block in shown if result["connection_info"]["data"]["target_iqn"] in block][0]
    assert initiator in mine
    assert "direct" in mine.split("LUN: 1", 1)[1]
    assert export(tgtd, volume_id, backing, initiators=[initiator], target_flags="direct")["changed"] is False


def test_user_template_is_used(tgtd, volume, tmp_path):
    volume_id, backing = volume
    template = tmp_path / "my_target.j2"
    template.write_text("# site template\n<target {{ target_name }}>\n    backing-store {{ backing_store }}\n"
                        "    driver {{ driver }}\n"
                        "    incominguser {{ chap_username }} {{ chap_password }}\n"
                        "    write-cache off\n</target>\n")
    result = export(tgtd, volume_id, backing, template=str(template))
    assert result["changed"] is True, result
    assert result["target_config"].startswith("# site template")
    assert "write-cache off" in result["target_config"]


def _nothing_written(tgtd, volume_id):
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))
    assert volume_id not in live_targets(tgtd)


@pytest.mark.parametrize("override, message", [
    (dict(volume_id="not-a-uuid"), "is not a valid UUID"),
    (dict(volume_id="../../etc/passwd"), "is not a valid UUID"),
    (dict(backing_store="/nonexistent/volume-file"), "backing store /nonexistent/volume-file does not exist"),
    (dict(target_port=70000), "out of range"),
    (dict(target_prefix="notaniqn:"), "not a valid iSCSI qualified name"),
    (dict(target_prefix="iqn.2010-10.org.openstack"), "must end with ':'"),
    (dict(connector={"ip": "127.0.0.3"}), "Connector doesn't have required information: initiator"),
    (dict(chap_password="short"), "chap_password must be 12-255 characters"),
    # A control port no tgtd answers on, picked when the test runs (not a fixed number
    # another checkout's tgtd might hold).
    (dict(control_port="free"), "tgtd is not running"),
])
def test_bad_input_fails_clearly_and_writes_nothing(tgtd, volume, override, message):
    volume_id, backing = volume
    args = tgtd.module_args(volume_id=volume_id, backing_store=backing)
    args.update(override)
    if args.get("control_port") == "free":
        args["control_port"] = ports.free_tgtd_control_port()
    result = run_module("iscsi_target", args)
    assert result.get("failed") is True
    assert message in result["msg"], result["msg"]
    assert "Traceback" not in result["_stdout"]
    assert "short" not in result["msg"]
    _nothing_written(tgtd, volume_id)


def test_missing_backing_store_is_refused(tgtd, volume):
    volume_id, dummy = volume
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id))
    assert result.get("failed") is True
    assert "backing_store" in result["msg"]
    _nothing_written(tgtd, volume_id)


def test_template_with_an_undefined_variable_fails_before_anything_is_written(tgtd, volume, tmp_path):
    volume_id, backing = volume
    template = tmp_path / "broken.j2"
    template.write_text("<target {{ target_name }}>\n    backing-store {{ no_such_variable }}\n</target>\n")
    result = export(tgtd, volume_id, backing, template=str(template))
    assert result.get("failed") is True
    assert "no_such_variable" in result["msg"] and "undefined" in result["msg"]
    _nothing_written(tgtd, volume_id)


def test_template_with_an_unsupported_directive_is_refused(tgtd, volume, tmp_path):
    volume_id, backing = volume
    template = tmp_path / "odd.j2"
    template.write_text("<target {{ target_name }}>\n    backing-store {{ backing_store }}\n"
                        "    incominguser {{ chap_username }} {{ chap_password }}\n"
                        "    vendor_id ACME\n</target>\n")
    result = export(tgtd, volume_id, backing, template=str(template))
    assert result.get("failed") is True
    assert "directive 'vendor_id' is not supported" in result["msg"]
    _nothing_written(tgtd, volume_id)
