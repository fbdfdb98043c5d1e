"""Every module that can receive a secret, run WITHOUT task-level no_log: the secret is
in neither what the module sends to syslog, nor its result, its invocation, its diff or
its error message.

The modules run through ``ansible`` against the real tgtd and libvirtd; what they log goes
to a real ``/dev/log`` socket in a private mount namespace (tests/support/syslog_capture.py).
All cases run in one namespace, one after another (about a dozen ansible runs).
"""

import json
import os
import uuid

import pytest

from support.syslog_capture import run_captured

CHAP = "Vbt3stChapS3cretZ"
KEYRING = "AQBvbtestKeyringSecretQ=="
DB_PASSWORD = "Vbt3stDbPassw0rdY"
LUKS = "Vbt3stLuksPassphraseX"
SECRETS = (CHAP, KEYRING, DB_PASSWORD, LUKS)
INSTANCE = "0c8a3e2b-5a5e-4a53-9f1e-6a0d7f3c9b21"


def iscsi_info(volume_id, portal):
    return {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-" + volume_id, "target_portal": portal,
        "target_lun": 1, "volume_id": volume_id, "access_mode": "rw", "auth_method": "CHAP",
        "auth_username": "vbtestuser", "auth_password": CHAP}}


@pytest.fixture
def cases(tgtd, virt, tmp_path, volume_dir):
    volume_id = str(uuid.uuid4())
    backing = os.path.join(volume_dir, "volume-" + volume_id)
    with open(backing, "wb") as handle:
        handle.truncate(4 << 20)
    dom = virt.define()
    info = iscsi_info(volume_id, "%s:%s" % (tgtd.ip, tgtd.port))
    stored = json.loads(json.dumps(info))
    stored["data"].update(keyring=KEYRING, encryption={"passphrase": LUKS})
    store = dict(db_path=str(tmp_path / "records.sqlite"), db_password=DB_PASSWORD)
    record = dict(store, instance_uuid=INSTANCE, volume_id=volume_id)
    disk = dict(domain=dom.name(), volume_id=volume_id, iscsi_initiator="qemu")
    encrypted_id = str(uuid.uuid4())
    encrypted = iscsi_info(encrypted_id, "%s:%s" % (tgtd.ip, tgtd.port))
    encrypted["data"]["encrypted"] = True
    return [
        ("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                          chap_username="vbtestuser", chap_password=CHAP)),
        ("bdm_record", dict(record, state="reserved")),
        ("bdm_record", dict(record, state="present", connection_info=stored)),
        ("bdm_record", dict(record, state="present", connection_info=stored, boot_index="abc")),
        ("bdm_info", dict(store, instance_uuid=INSTANCE)),
        ("volume_state", dict(store, volume_id=volume_id, state="present", size=1)),
        ("volume_connection", dict(connection_info=info, iscsi_initiator="qemu")),
        ("libvirt_disk_attach", dict(disk, connection_info=info)),
        ("libvirt_disk_attach", dict(disk, domain="vbtest-missing-" + volume_id[:8],
                                     connection_info=info)),
        ("libvirt_disk_attach", dict(disk, state="detached", connection_info=info,
                                     detach_timeout=1, detach_attempts=1)),
        ("libvirt_secret", dict(connection_info=info)),
        ("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent")),
        # an encrypted volume: the LUKS passphrase given (from a vault), then to libvirt
        ("volume", dict(volume_id=encrypted_id, size_mib=8, encrypted=True, encryption_passphrase=LUKS,
                        backing_dir=os.path.join(volume_dir, "encrypted"))),
        ("libvirt_disk_attach", dict(disk, volume_id=encrypted_id, connection_info=encrypted,
                                     encryption_passphrase=LUKS)),
        ("libvirt_disk_attach", dict(disk, volume_id=encrypted_id, state="detached", connection_info=encrypted,
                                     detach_timeout=1, detach_attempts=1)),
    ]


def test_no_secret_in_syslog_result_invocation_diff_or_error(cases):
    results, syslog = run_captured(
        [dict(module=name, args=args, diff=True) for name, args in cases])
    for (name, args), result in zip(cases, results):
        # The module's own output (-vvv: the invocation too), not ansible's echo of the task.
        shown = json.dumps({k: v for k, v in result.items() if not k.startswith("_")})
        for secret in SECRETS:
            assert secret not in shown, "%s leaked a secret in its result: %s" % (name, shown)
    # The runs did what they should, so the secrets went all the way through.
    outcome = [(name, bool(r.get("failed"))) for (name, _a), r in zip(cases, results)]
    assert outcome == [(name, name == "bdm_record" and args.get("boot_index") == "abc"
                        or args.get("domain", "").startswith("vbtest-missing-"))
                       for name, args in cases], [r.get("msg") for r in results]
    assert "boot_index" in results[3]["msg"] and "could not be found" in results[8]["msg"]
    assert results[7]["secret_uuid"] and results[7]["changed"]
    # A nested secret is masked where it stood, the harmless values beside it are kept.
    # (AnsibleModule writes a value equal to a no_log value as this placeholder.)
    masked = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    invoked = results[2]["invocation"]["module_args"]["connection_info"]["data"]
    # The CHAP user is sensitive too (issue 14): masked like the password.
    assert invoked["auth_password"] == masked and invoked["auth_username"] == masked
    assert invoked["encryption"]["passphrase"] == masked
    assert results[6]["connection_info"]["data"]["auth_password"] == masked
    # syslog saw every module that validated its arguments (all but the "abc" run).
    invocations = [line for line in syslog if "Invoked with" in line]
    assert len(invocations) == len(cases) - 1, syslog
    for name, _args in cases:
        assert any("ansible-virtblock.volumes.%s:" % name in line for line in invocations), name
    for line in syslog:
        for secret in SECRETS:
            assert secret not in line, "syslog got a secret: %s" % line


def test_no_cephx_key_in_syslog_result_invocation_or_diff(ceph):
    """The Ceph modules given the key as a value (rbd_key, as the roles pass it): the key
    reaches neither syslog nor a result, against the session's real cluster."""
    volume_id = str(uuid.uuid4())
    client = dict(rbd_ceph_conf=ceph.conf, rbd_user=ceph.user, rbd_key=ceph.key)
    cases = [("volume", dict(client, backend="rbd", volume_id=volume_id, size_mib=8)),
             ("rbd_connection", dict(client, volume_id=volume_id)),
             ("volume", dict(client, backend="rbd", volume_id=volume_id, state="absent"))]
    results, syslog = run_captured([dict(module=name, args=args, diff=True) for name, args in cases])
    assert [(r.get("failed", False), r.get("changed")) for r in results] == [
        (False, True), (False, False), (False, True)], [r.get("msg") for r in results]
    assert results[1]["connection_info"]["data"]["auth_username"] == ceph.user
    for result in results:
        assert ceph.key not in json.dumps({k: v for k, v in result.items() if not k.startswith("_")})
    invocations = [line for line in syslog if "Invoked with" in line]
    assert len(invocations) == len(cases), syslog
    for line in syslog:
        assert ceph.key not in line, "syslog got the cephx key: %s" % line
