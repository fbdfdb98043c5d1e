"""Issue 14's attacks, each against the real daemons through ansible: XML injection into
libvirt, request and file injection into tgtd, unbounded numbers, and a failed change
that must leave the previous working state in place."""

import os
import subprocess
import uuid

import pytest

from support.ansible_run import run_module

MiB = 1024 * 1024


def _no_traceback(result):
    assert "Traceback" not in result.get("msg", "") and "Traceback" not in result["_stdout"], result["_stdout"]


def _domain_by_uuid(virt, domain_uuid):
    try:
        return virt.conn.lookupByUUIDString(domain_uuid)
    except virt.libvirt.libvirtError:
        return None


def _every_domain_source():
    """Every <source file/dev> of every domain libvirtd knows (to find a smuggled disk)."""
    import libvirt
    conn = libvirt.open("qemu:///system")
    try:
        return "\n".join(dom.XMLDesc(0) for dom in conn.listAllDomains())
    finally:
        conn.close()


# ---- 1. XML injection ----------------------------------------------------------------

def test_boot_request_nic_model_injection_is_refused_and_no_host_file_disk_appears(virt, tmp_path):
    host_file = tmp_path / "host-secret.img"
    host_file.write_bytes(b"\0" * MiB)
    injection = ('virtio"/></interface><disk type="file" device="disk"><driver name="qemu" type="raw"/>'
                 '<source file="%s"/><target dev="vdz" bus="virtio"/></disk><interface type="user">'
                 '<model type="virtio' % host_file)
    name, domain_uuid = "vbtest-%s" % uuid.uuid4().hex[:10], str(uuid.uuid4())
    try:
        result = run_module("libvirt_domain", dict(name=name, uuid=domain_uuid, memory=64, vcpus=1,
                                                   state="defined",
                                                   networks=[{"type": "user", "model": injection}]))
        assert result["failed"] and "network model" in result["msg"], result
        _no_traceback(result)
        assert _domain_by_uuid(virt, domain_uuid) is None
        assert str(host_file) not in _every_domain_source()
    finally:
        dom = _domain_by_uuid(virt, domain_uuid)
        if dom is not None:
            virt.domains.append(dom)


def test_qemu_iscsi_portal_injection_is_refused_and_no_second_host(virt):
    dom = virt.define()
    volume_id = str(uuid.uuid4())
    info = {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-%s" % volume_id,
        "target_portal": '127.0.0.70" port="3260"/><host name="127.0.0.71:3260',
        "target_lun": 1}}
    result = run_module("libvirt_disk_attach", dict(domain=dom.name(), volume_id=volume_id,
                                                    connection_info=info, iscsi_initiator="qemu"))
    assert result["failed"] and "target_portal host" in result["msg"], result
    _no_traceback(result)
    assert volume_id not in virt.config_xml(dom) and "127.0.0.71" not in virt.config_xml(dom)


# ---- 3. bounds and types on the controller ----------------------------------------------

@pytest.mark.parametrize("module,args,message", [
    ("libvirt_domain", dict(root_ports=2147483648), "root_ports"),
    ("libvirt_disk_attach", dict(boot_index="abc"), "boot_index"),
    ("libvirt_disk_attach", dict(detach_timeout="nan", state="detached"), "detach_timeout"),
    ("libvirt_disk_attach", dict(detach_timeout="inf", state="detached"), "detach_timeout"),
])
def test_unbounded_numbers_and_wrong_types_fail_clearly(virt, module, args, message):
    dom = virt.define()
    volume_id = str(uuid.uuid4())
    if module == "libvirt_domain":
        full = dict(name="vbtest-%s" % uuid.uuid4().hex[:10], uuid=str(uuid.uuid4()), memory=64,
                    vcpus=1, state="defined")
    else:
        full = dict(domain=dom.name(), volume_id=volume_id,
                    connection_info={"driver_volume_type": "local", "data": {"device_path": "/dev/null"}})
    full.update(args)
    result = run_module(module, full, timeout=120)
    assert result["failed"] and message in result["msg"], result
    _no_traceback(result)
    if module == "libvirt_domain":
        assert _domain_by_uuid(virt, full["uuid"]) is None


# ---- 2. tgtd request and target file injection ---------------------------------------------

@pytest.fixture
def backing(tmp_path):
    path = tmp_path / "backing"
    with open(path, "wb") as handle:
        handle.truncate(8 * MiB)
    return str(path)


def _targets(tgtd):
    return tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")


def _accounts(tgtd):
    return tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "account")


def test_backing_store_with_a_path_parameter_does_not_export_the_other_file(tgtd, tmp_path):
    secret = tmp_path / "outside" / "secret.img"
    secret.parent.mkdir()
    secret.write_bytes(b"\0" * MiB)
    # A file that really exists at the injected name, so "the file exists" holds.
    decoy = "%s/allowed/x,path=%s" % (tmp_path, secret)
    os.makedirs(os.path.dirname(decoy))
    with open(decoy, "wb") as handle:
        handle.truncate(MiB)
    volume_id = str(uuid.uuid4())
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=decoy))
    assert result["failed"] and "backing_store" in result["msg"], result
    _no_traceback(result)
    assert str(secret) not in _targets(tgtd) and volume_id not in _targets(tgtd)
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))


@pytest.mark.parametrize("address", [
    "127.0.0.1,initiator-name=iqn.2024-01.org.evil:x",
    "127.0.0.1\ninitiator-name iqn.2024-01.org.evil:x",
])
def test_initiator_address_cannot_add_an_acl_or_a_directive(tgtd, backing, address):
    volume_id = str(uuid.uuid4())
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                                         initiator_addresses=[address]))
    assert result["failed"] and "initiator address" in result["msg"], result
    assert "evil" not in _targets(tgtd) and volume_id not in _targets(tgtd)
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))


# ---- 4. a failed change leaves the previous working state ------------------------------

def _readcapacity(tgtd, data):
    url = "iscsi://%s%%%s@%s:%d/%s/%d" % (data["auth_username"], data["auth_password"], tgtd.ip,
                                          tgtd.port, data["target_iqn"], data["target_lun"])
    return subprocess.run(["iscsi-readcapacity16", url], capture_output=True, text=True,
                          timeout=30, check=False)


def test_rerun_with_a_bad_backing_store_keeps_the_running_target_and_account(tgtd, backing, tmp_path):
    volume_id = str(uuid.uuid4())
    first = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing))
    assert not first["failed"], first.get("msg")
    data = first["connection_info"]["data"]
    target_file = first["target_file"]
    with open(target_file) as handle:
        kept = handle.read()
    try:
        for bad in (str(tmp_path), str(tmp_path / "missing")):
            again = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=bad))
            assert again["failed"] and "backing store" in again["msg"], again
            assert data["target_iqn"] in _targets(tgtd) and backing in _targets(tgtd)
            assert data["auth_username"] in _accounts(tgtd)
            with open(target_file) as handle:
                assert handle.read() == kept
            assert _readcapacity(tgtd, data).returncode == 0
    finally:
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def test_change_that_tgtd_refuses_restores_the_old_target_and_account(tgtd, backing, tmp_path):
    volume_id = str(uuid.uuid4())
    first = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing))
    assert not first["failed"], first.get("msg")
    data = first["connection_info"]["data"]
    # A template asking for the sg backing store type: tgtd refuses it on a regular file,
    # after the old target has been taken down to be replaced.
    template = tmp_path / "sg_target.conf.j2"
    template.write_text("<target {{ target_name }}>\n    backing-store {{ backing_store }}\n"
                        "    bs-type sg\n    incominguser {{ chap_username }} {{ chap_password }}\n"
                        "</target>\n")
    try:
        again = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                                            template=str(template)))
        assert again["failed"], again
        assert data["auth_password"] not in again["_stdout"]
        assert data["target_iqn"] in _targets(tgtd) and backing in _targets(tgtd)
        assert data["auth_username"] in _accounts(tgtd)
        assert _readcapacity(tgtd, data).returncode == 0
        rerun = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing))
        assert not rerun["failed"] and not rerun["changed"], rerun
    finally:
        run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, state="absent"))


def test_include_file_that_is_not_ours_is_refused_and_left_alone(tgtd, backing, tmp_path):
    foreign = tmp_path / "operator.conf"
    foreign.write_text("# the operator's own tgt config\ninclude /etc/tgt/other/*\n")
    volume_id = str(uuid.uuid4())
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                                         tgt_include_file=str(foreign)))
    assert result["failed"] and "not written by virtblock.volumes" in result["msg"], result
    assert foreign.read_text() == "# the operator's own tgt config\ninclude /etc/tgt/other/*\n"
    assert volume_id not in _targets(tgtd)
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))


def test_domain_that_cannot_start_is_not_left_defined_but_an_older_one_is_kept(virt, tmp_path):
    name, domain_uuid = "vbtest-%s" % uuid.uuid4().hex[:10], str(uuid.uuid4())
    args = dict(name=name, uuid=domain_uuid, memory=64, vcpus=1, kernel=str(tmp_path / "no-such-kernel"))
    try:
        result = run_module("libvirt_domain", args)
        assert result["failed"] and "could not start" in result["msg"], result
        assert _domain_by_uuid(virt, domain_uuid) is None
        defined = run_module("libvirt_domain", dict(args, state="defined"))
        assert not defined["failed"] and defined["changed"], defined
        again = run_module("libvirt_domain", args)
        assert again["failed"] and "could not start" in again["msg"], again
        assert _domain_by_uuid(virt, domain_uuid) is not None
    finally:
        dom = _domain_by_uuid(virt, domain_uuid)
        if dom is not None:
            virt.domains.append(dom)


# ---- 5. secrets out of messages and output -------------------------------------------------

def test_template_that_misplaces_the_chap_password_fails_without_showing_it(tgtd, backing, tmp_path):
    template = tmp_path / "bad_target.conf.j2"
    template.write_text("<target {{ target_name }}>\n    backing-store {{ chap_password }}\n"
                        "    incominguser {{ chap_username }} {{ chap_password }}\n</target>\n")
    volume_id = str(uuid.uuid4())
    result = run_module("iscsi_target", tgtd.module_args(volume_id=volume_id, backing_store=backing,
                                                         template=str(template)))
    assert result["failed"], result
    # The generated password is not known to the test: what stands where it was is the mask.
    assert "backing-store '********'" in result["msg"], result["msg"]
    assert not os.path.exists(os.path.join(tgtd.volumes_dir, "volume-%s" % volume_id))


def test_bdm_info_does_not_show_the_chap_user(tmp_path):
    user, password = "vbtestUser%s" % uuid.uuid4().hex[:8], "vbtestPass%s" % uuid.uuid4().hex[:8]
    instance, volume_id = str(uuid.uuid4()), str(uuid.uuid4())
    db = dict(db_path=str(tmp_path / "records.sqlite"))
    info = {"driver_volume_type": "iscsi", "data": {
        "target_iqn": "iqn.2010-10.org.openstack:volume-%s" % volume_id, "target_portal": "127.0.0.1:3260",
        "target_lun": 1, "auth_method": "CHAP", "auth_username": user, "auth_password": password}}
    reserved = run_module("bdm_record", dict(db, instance_uuid=instance, volume_id=volume_id, state="reserved"))
    assert not reserved["failed"], reserved
    saved = run_module("bdm_record", dict(db, instance_uuid=instance, volume_id=volume_id, state="present",
                                          connection_info=info), diff=True)
    assert not saved["failed"], saved
    shown = run_module("bdm_info", dict(db, instance_uuid=instance), diff=True)
    assert shown["block_device_mappings"][0]["connection_info"]["data"].get("auth_username") in (None, "********")
    for result in (saved, shown):
        assert user not in result["_stdout"] and password not in result["_stdout"]


# ---- 6. string limits as Nova's API sets them, the same on every store ---------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return {"db_path": str(tmp_path / "records.sqlite")}
    return {"db_url": request.getfixturevalue("pg_url")}


def test_tag_longer_than_novas_60_is_refused_on_every_store(store):
    instance, volume_id = str(uuid.uuid4()), str(uuid.uuid4())
    base = dict(store, instance_uuid=instance, volume_id=volume_id)
    assert not run_module("bdm_record", dict(base, state="reserved"))["failed"]
    for tag in ("t" * 300, "t" * 61):
        refused = run_module("bdm_record", dict(base, state="present", tag=tag))
        assert refused["failed"] and "tag" in refused["msg"], refused
        _no_traceback(refused)
    kept = run_module("bdm_record", dict(base, state="present", tag="t" * 60))
    assert not kept["failed"] and kept["bdm"]["tag"] == "t" * 60, kept
