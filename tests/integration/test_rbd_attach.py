"""RBD volumes on the compute side against the session's real Ceph and libvirtd: Cinder's
RBD connection_info read from the cluster, the ceph secret holding the decoded key, a TCG
guest reading bytes written through rbd from a hot-plugged network disk and seeing it grow
when the image is extended while attached, the delete of an
attached volume refused, detach confirmed and the secret dropped when no disk uses it."""

import uuid

import pytest

from support.ansible_run import run_module

MiB = 1024 * 1024
CINDER_KEYS = {"name", "hosts", "ports", "cluster_name", "auth_enabled", "auth_username",
               "secret_type", "secret_uuid", "volume_id", "discard", "keyring", "qos_specs",
               "access_mode", "encrypted"}


def ceph_secret(virt, user):
    try:
        return virt.conn.secretLookupByUsage(virt.libvirt.VIR_SECRET_USAGE_TYPE_CEPH,
                                             "client.%s secret" % user)
    except virt.libvirt.libvirtError:
        return None


@pytest.fixture
def rbd_volumes(ceph):
    """Make images volumes/volume-<id> with a payload written through rbd; removed after."""
    made = []

    def make(payload):
        volume_id = str(uuid.uuid4())
        ceph.import_bytes("volumes/volume-%s" % volume_id, payload.encode(), 8 * MiB)
        made.append(volume_id)
        return volume_id
    yield make
    for volume_id in made:
        ceph.rbd("rm", "--no-progress", "volumes/volume-%s" % volume_id, check=False)


def connection(ceph, volume_id, **extra):
    result = run_module("rbd_connection", ceph.client_args(volume_id=volume_id, **extra))
    assert not result["failed"], result.get("msg")
    return result


def test_connection_info_is_cinders_with_the_cluster_monitors(ceph, rbd_volumes):
    volume_id = rbd_volumes("x")
    result = connection(ceph, volume_id)
    assert result["changed"] is False
    info = result["connection_info"]
    assert info["driver_volume_type"] == "rbd" and set(info["data"]) == CINDER_KEYS
    data = info["data"]
    assert data["name"] == "volumes/volume-%s" % volume_id and data["volume_id"] == volume_id
    assert data["hosts"] == [ceph.ip] and data["ports"] == ["6789"]
    assert data["auth_enabled"] is True and data["auth_username"] == ceph.user
    assert data["secret_type"] == "ceph" and data["discard"] is True and data["keyring"] is None
    assert data["access_mode"] == "rw" and data["encrypted"] is False and data["qos_specs"] is None
    assert ceph.key not in result["_stdout"]
    missing = run_module("rbd_connection", ceph.client_args(volume_id=str(uuid.uuid4())))
    assert missing["failed"] and "could not be found" in missing["msg"]


@pytest.mark.slow
def test_guest_reads_rbd_volume_by_serial_delete_refused_secret_follows_the_disks(
        ceph, rbd_volumes, guest, virt):
    dom, console = guest
    payload = "VBTEST-RBD-%s" % uuid.uuid4().hex[:10]
    first, second = rbd_volumes(payload), rbd_volumes("VBTEST-RBD-SECOND")
    infos = {vid: connection(ceph, vid)["connection_info"] for vid in (first, second)}
    try:
        args = dict(domain=dom.name(), volume_id=first, connection_info=infos[first], rbd_key=ceph.key)
        attached = run_module("libvirt_disk_attach", args, diff=True)
        assert attached["changed"] and not attached["failed"], attached.get("msg")
        seen = console.wait_for(r"VBTEST-DISK (vd\w+) serial=%s data=(\S*)" % first[:20], timeout=90)
        assert seen.group(2).startswith(payload)
        live = virt.live_xml(dom)
        assert "protocol='rbd'" in live and "name='volumes/volume-%s'" % first in live
        assert "<host name='%s' port='6789'/>" % ceph.ip in live and "username='%s'" % ceph.user in live
        assert "discard='unmap'" in live and "cache='none'" in live
        secret = ceph_secret(virt, ceph.user)
        assert secret is not None and "private='yes'" in secret.XMLDesc()
        for text in (live, virt.config_xml(dom), attached["_stdout"], repr(attached)):
            assert ceph.key not in text
        assert run_module("libvirt_disk_attach", args)["changed"] is False

        # Extend while attached: the image grows on the storage side (rbd resize), QEMU is
        # told (blockResize, Nova's extend_volume) and the guest sees the new size.
        device = seen.group(1)
        console.wait_for(r"VBTEST-SIZE %s %d\b" % (device, 8 * MiB // 512), timeout=60)
        grown = run_module("volume", ceph.module_args(volume_id=first, size_mib=16, must_exist=True))
        assert grown["changed"] and not grown["failed"], grown.get("msg")
        tell = dict(domain=dom.name(), volume_id=first, new_size_mib=16)
        told = run_module("libvirt_volume_extend", tell)
        assert told["changed"] and not told["failed"], told.get("msg")
        console.wait_for(r"VBTEST-SIZE %s %d\b" % (device, 16 * MiB // 512), timeout=60)
        assert run_module("libvirt_volume_extend", tell)["changed"] is False
        assert "VBTEST-GONE %s" % device not in console.text()

        busy = run_module("volume", ceph.module_args(volume_id=first, state="absent", force=True))
        assert busy["failed"] and busy["msg"].startswith("ImageBusy error raised while deleting rbd volume")
        assert ceph.exists("volume-" + first)

        second_args = dict(domain=dom.name(), volume_id=second, connection_info=infos[second],
                           rbd_key=ceph.key)
        assert run_module("libvirt_disk_attach", second_args)["changed"]
        console.wait_for(r"VBTEST-DISK vd\w+ serial=%s data=VBTEST-RBD-SECOND" % second[:20], timeout=90)

        detach = dict(domain=dom.name(), state="detached", detach_timeout=10, detach_attempts=3)
        gone = run_module("libvirt_disk_attach", dict(detach, volume_id=first))
        assert gone["changed"] and not gone["failed"], gone.get("msg")
        console.wait_for(r"VBTEST-GONE %s" % seen.group(1), timeout=30)
        assert ceph_secret(virt, ceph.user) is not None      # the second disk still uses it
        assert run_module("libvirt_disk_attach", dict(detach, volume_id=second))["changed"]
        assert ceph_secret(virt, ceph.user) is None
        assert run_module("libvirt_disk_attach", dict(detach, volume_id=second))["changed"] is False
    finally:
        virt.cleanup()
        secret = ceph_secret(virt, ceph.user)
        if secret is not None:
            secret.undefine()
