"""Secrets from environment variables, as the AWX credential type in docs/docsite/rst/awx.rst
injects them (docs/awx/credential_type_injectors.yml): the modules read them through
env_fallback, use them, and never print them."""
import json
import sqlite3
import subprocess
import uuid

from support.ansible_run import run_module

CHAP_USER = "awxoperator01"
CHAP_SECRET = "AwxInjected-Secret-7"


def test_iscsi_target_takes_chap_credentials_from_the_environment(tgtd, tmp_path):
    volume_id = str(uuid.uuid4())
    backing = tmp_path / "backing"
    with open(backing, "wb") as handle:
        handle.truncate(16 << 20)
    env = {"VIRTBLOCK_CHAP_USERNAME": CHAP_USER, "VIRTBLOCK_CHAP_PASSWORD": CHAP_SECRET}
    args = tgtd.module_args(volume_id=volume_id, backing_store=str(backing))
    result = run_module("iscsi_target", args, env=env)
    assert not result["failed"], result.get("msg")
    data = result["connection_info"]["data"]
    assert data["auth_username"] == CHAP_USER
    assert data["auth_password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert CHAP_SECRET not in result["_stdout"]
    # tgtd really asks for the injected secret.
    url = "iscsi://%s%%%s@%s:%d/%s/1" % (CHAP_USER, CHAP_SECRET, tgtd.ip, tgtd.port, data["target_iqn"])
    probe = subprocess.run(["iscsi-readcapacity16", url], capture_output=True, text=True, timeout=30,
                           check=False)
    assert probe.returncode == 0, probe.stderr
    gone = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))
    assert not gone["failed"], gone.get("msg")


def test_record_store_url_from_the_environment(tmp_path):
    db_file = tmp_path / "awx-store.sqlite"
    volume_id = str(uuid.uuid4())
    env = {"VIRTBLOCK_DB_URL": "sqlite:///%s" % db_file}
    result = run_module("volume_state", {"volume_id": volume_id, "size": 1}, env=env)
    assert not result["failed"], result.get("msg")
    with sqlite3.connect(str(db_file)) as conn:
        assert conn.execute("SELECT status FROM volumes WHERE id = ?", (volume_id,)).fetchall() == [("available",)]


def test_an_injected_chap_pair_reaches_qemu_through_the_attach_role(attach_env, virt):
    """The pair masked in iscsi_target's result (Ansible masks a no_log value everywhere)
    reaches libvirt_disk_attach for real: QEMU logs in with it when the disk is hot-plugged
    into the running domain (the mask as the secret: "Authentication failure")."""
    dom = virt.define(start=True)
    instance, volume_id = dom.UUIDString(), attach_env.new_volume()
    env = {"VIRTBLOCK_CHAP_USERNAME": CHAP_USER, "VIRTBLOCK_CHAP_PASSWORD": CHAP_SECRET}
    # scsi: a VM with no guest OS lets a scsi disk go at the detach (virtio would wait)
    run = attach_env.attach(instance, volume_id, env=env, extra=dict(disk_bus="scsi"))
    assert run.rc == 0 and run.failed == 0, run.msg
    assert attach_env.chap_secret(volume_id) == CHAP_SECRET           # the export took it
    assert "<serial>%s</serial>" % volume_id in virt.live_xml(dom)    # QEMU logged in
    assert "username='%s'" % CHAP_USER in virt.live_xml(dom)
    assert CHAP_SECRET not in run.stdout and CHAP_SECRET not in json.dumps(run.tasks)
    gone = attach_env.detach(instance, volume_id, env=env, extra=dict(detach_volume_detach_timeout=5))
    assert gone.rc == 0 and gone.failed == 0, gone.msg
    assert attach_env.libvirt_secret(volume_id) is None
