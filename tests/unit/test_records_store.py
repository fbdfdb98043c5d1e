"""The store adapter on a real SQLite file, and the 20-process race (PostgreSQL: the same
cases on PostgreSQL and MariaDB in tests/integration/test_records_store_servers.py)."""
import json
import multiprocessing

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import records
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import (
    Store, SCHEMA_VERSION)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    StoreError, ServiceUnavailable, InvalidVolume, InvalidInput)

INSTANCE = "55888641-5569-4d50-a6c3-eeb8f6d51c34"
CHAP = "YZ2Hceyh7VySh5HY"
KEY = "AQBjifhjdv+0ORAAFWZTU30onDsqcmEJoNz+Tg=="


def vol_id(n):
    return "00000000-0000-4000-8000-%012d" % n


@pytest.fixture(params=["sqlite"])
def store_url(tmp_path):
    # The same cases on PostgreSQL and MariaDB: tests/integration/test_records_store_servers.py.
    return "sqlite:///%s" % (tmp_path / "records.sqlite")


def reserve(url, volume, **extra):
    params = dict(instance_uuid=INSTANCE, volume_id=volume, disk_bus="virtio")
    params.update(extra)
    return Store(url=url).run(lambda tx: records.reserve_bdm(tx, params),
                              lock=records.bdm_lock(INSTANCE))


def rows(url, **kw):
    return Store(url=url).run(lambda tx: tx.bdm_rows(instance_uuid=INSTANCE, **kw))


def test_schema_created_and_versioned(store_url):
    changed, dummy, row = reserve(store_url, vol_id(1))
    assert changed and row["device_name"] == "/dev/vda" and row["deleted"] == 0
    version = Store(url=store_url).run(lambda tx: tx.conn.exec_driver_sql(
        "SELECT version FROM virtblock_schema WHERE name = 'records'").scalar())
    assert version == SCHEMA_VERSION


def test_newer_schema_refused(store_url):
    reserve(store_url, vol_id(1))
    Store(url=store_url).run(lambda tx: tx.conn.exec_driver_sql(
        "UPDATE virtblock_schema SET version = 99"))
    with pytest.raises(StoreError) as err:
        rows(store_url)
    assert "schema version 99" in str(err.value)


def test_reserve_save_soft_delete(store_url):
    reserve(store_url, vol_id(1))
    reserve(store_url, vol_id(2))
    params = dict(instance_uuid=INSTANCE, volume_id=vol_id(2), attachment_id=vol_id(9),
                  connection_info={"driver_volume_type": "iscsi", "data": {
                      "auth_password": CHAP, "target_iqn": "iqn.2010-10.org.openstack:v",
                      "keyring": "key = " + KEY}})
    changed, before, after = Store(url=store_url).run(lambda tx: records.save_bdm(tx, params))
    assert changed and before["connection_info"] is None
    assert json.loads(after["connection_info"])["data"]["target_iqn"] == "iqn.2010-10.org.openstack:v"
    assert Store(url=store_url).run(lambda tx: records.save_bdm(tx, params))[0] is False
    # Nova's check once attached
    with pytest.raises(InvalidVolume):
        reserve(store_url, vol_id(2))
    # soft delete: deleted = id, deleted_at set; the name is free again, gaps first
    changed, gone, dummy = Store(url=store_url).run(lambda tx: records.delete_bdm(
        tx, dict(instance_uuid=INSTANCE, volume_id=vol_id(1))))
    assert changed
    dead = [r for r in rows(store_url, include_deleted=True) if r["id"] == gone["id"]][0]
    assert dead["deleted"] == dead["id"] and dead["deleted_at"]
    assert reserve(store_url, vol_id(3))[2]["device_name"] == "/dev/vda"
    everything = json.dumps(rows(store_url, include_deleted=True))
    assert CHAP not in everything and KEY not in everything


def test_dry_run_writes_nothing(store_url):
    reserve(store_url, vol_id(1))
    params = dict(instance_uuid=INSTANCE, volume_id=vol_id(2), disk_bus="virtio")
    changed, dummy, row = Store(url=store_url).run(lambda tx: records.reserve_bdm(tx, params),
                                                   dry_run=True)
    assert changed and row["device_name"] == "/dev/vdb"
    assert [r["volume_id"] for r in rows(store_url)] == [vol_id(1)]


def test_dry_run_on_missing_sqlite_file_creates_nothing(tmp_path):
    path = tmp_path / "sub" / "none.sqlite"
    changed, dummy, row = Store(path=str(path)).run(
        lambda tx: records.reserve_bdm(tx, dict(instance_uuid=INSTANCE, volume_id=vol_id(1))),
        dry_run=True)
    assert changed and row["device_name"] == "/dev/vda"
    assert not path.exists() and not path.parent.exists()


def test_not_a_database(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is no database, just text " * 200)
    with pytest.raises(StoreError) as err:
        Store(path=str(path)).run(lambda tx: tx.bdm_rows())
    assert "is not a database" in str(err.value)
    assert path.read_bytes().startswith(b"this is no database")


def test_unreachable_server():
    store = Store(url="postgresql+psycopg://virt:s3cretpw@127.0.0.1:1/nova", timeout=5)
    with pytest.raises(ServiceUnavailable) as err:
        store.run(lambda tx: tx.bdm_rows())
    text = str(err.value)
    assert "cannot connect to the record store database" in text
    assert "s3cretpw" not in text and "127.0.0.1:1" in text


def _race_worker(url, index, barrier, queue):
    barrier.wait(60)
    try:
        dummy, dummy, row = reserve(url, vol_id(100 + index))
        queue.put(("ok", row["device_name"]))
    except Exception as err:  # pylint: disable=broad-except
        queue.put(("error", repr(err)))


def test_twenty_reservations_at_once(store_url):
    # create the schema first in half the runs? No: let the racers create it too.
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(20)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_race_worker, args=(store_url, i, barrier, queue))
             for i in range(20)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for dummy in procs]
    for proc in procs:
        proc.join(60)
    assert [r for r in results if r[0] != "ok"] == []
    names = sorted(r[1] for r in results)
    assert len(set(names)) == 20
    assert names == sorted("/dev/vd" + chr(ord("a") + i) for i in range(20))
    live = rows(store_url)
    assert len(live) == 20
    assert sorted(r["volume_id"] for r in live) == sorted(vol_id(100 + i) for i in range(20))
    assert sorted(r["device_name"] for r in live) == names


def test_local_disk_rows_are_keyed_by_device_name(store_url):
    """Nova keeps rows for local disks (no volume): saved, found again and destroyed by
    device name; a local row without a device name is refused."""
    local = dict(instance_uuid=INSTANCE, volume_id=None, device_name="/dev/vdb",
                 destination_type="local", source_type="blank", guest_format="swap",
                 volume_size=64)
    store = Store(url=store_url)
    changed, _before, row = store.run(lambda tx: records.save_bdm(tx, dict(local)))
    assert changed and row["volume_id"] is None and row["guest_format"] == "swap"
    assert (row["source_type"], row["destination_type"]) == ("blank", "local")
    again, _before, same = store.run(lambda tx: records.save_bdm(tx, dict(local)))
    assert not again and same["id"] == row["id"]
    reserve(store_url, vol_id(7))          # a volume takes the next free name around it
    assert [r["device_name"] for r in rows(store_url)] == ["/dev/vdb", "/dev/vda"]
    with pytest.raises(InvalidInput):
        store.run(lambda tx: records.save_bdm(tx, dict(local, device_name=None)))
    gone, _before, _after = store.run(lambda tx: records.delete_bdm(tx, dict(local)))
    assert gone and [r["volume_id"] for r in rows(store_url)] == [vol_id(7)]


def test_a_volume_id_made_again_after_its_delete_takes_over_the_deleted_row(store_url):
    # boot_from_volume derives the ids of the volumes it makes: a boot after a delete (or a
    # rolled-back boot) records the same id again
    store = Store(url=store_url)

    def volume(state, **extra):
        params = dict(volume_id=vol_id(7), state=state, **extra)
        return store.run(lambda tx: records.set_volume(tx, params), lock=records.volume_lock(vol_id(7)))

    volume("present", size=1, bootable=True, display_name="first")
    volume("absent")
    changed, dummy, after = volume("present", size=2)
    assert changed
    assert (after["volume"]["status"], after["volume"]["size"], after["volume"]["bootable"],
            after["volume"]["display_name"], after["volume"]["deleted"]) == ("available", 2, 0, None, 0)
    assert store.run(lambda tx: tx.conn.exec_driver_sql(
        "SELECT count(*) FROM volumes").scalar()) == 1
