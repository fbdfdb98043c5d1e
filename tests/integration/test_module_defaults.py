"""module_defaults through the collection's action groups, in real playbook runs.

ansible-core gives a group's defaults to every module of the group, whether the module has
the option or not, and the module then fails on it; meta/runtime.yml therefore has narrow
groups (store, libvirt, storage) beside `volumes`. These runs show a default set once on a
group reaching each module, and the failure a too-wide group would cause.
"""
import json
import sqlite3

from support import ansible_run

INSTANCE = "0b5e1b4e-6a41-4c1e-9d0c-3f6f0e4a7d21"
VOL = "c3a1f5d2-8e7b-4a60-9b1d-2e4f6a8c0d13"
BOGUS_URI = "qemu+unix:///system?socket=/nonexistent/virtblock-test.sock"


def run_playbook(tmp_path, play):
    book = tmp_path / "play.yml"
    book.write_text(json.dumps([play]))  # JSON is YAML
    run = ansible_run.run_playbook(str(book), timeout=300)
    return run.rc, run.stdout


def play(defaults, tasks):
    return {"name": "module_defaults probe", "hosts": "localhost", "gather_facts": False,
            "module_defaults": defaults, "tasks": tasks}


def test_store_group_sets_the_store_once(tmp_path):
    db_path = tmp_path / "records.sqlite"
    tasks = [
        {"name": "Volume row", "virtblock.volumes.volume_state": {"volume_id": VOL, "size": 1}},
        {"name": "Reserve", "virtblock.volumes.bdm_record": {
            "instance_uuid": INSTANCE, "volume_id": VOL, "state": "reserved",
            "in_use_device_names": ["vda"]}},
        {"name": "Read back", "virtblock.volumes.bdm_info": {"instance_uuid": INSTANCE},
         "register": "info"},
        {"name": "Show", "ansible.builtin.debug": {
            "msg": "DEVICES={{ info.block_device_mappings | map(attribute='device_name') | list }}"}},
    ]
    rc, out = run_playbook(tmp_path, play(
        {"group/virtblock.volumes.store": {"db_path": str(db_path)}}, tasks))
    assert rc == 0, out
    assert "/dev/vdb" in out.split("DEVICES=")[1]
    # Every module wrote to (and read from) the file the group default named.
    with sqlite3.connect(str(db_path)) as conn:
        rows = conn.execute("SELECT device_name FROM block_device_mapping WHERE instance_uuid = ?",
                            (INSTANCE,)).fetchall()
    assert rows == [("/dev/vdb",)]


def test_libvirt_group_sets_the_uri(tmp_path):
    tasks = [{"name": "Attach through the group's URI", "virtblock.volumes.libvirt_disk_attach": {
        "domain": INSTANCE, "volume_id": VOL,
        "connection_info": {"driver_volume_type": "local", "data": {"device_path": "/dev/null"}}}}]
    rc, out = run_playbook(tmp_path, play({"group/virtblock.volumes.libvirt": {"uri": BOGUS_URI}}, tasks))
    assert rc != 0
    assert "Connection to the hypervisor is broken on host %s" % BOGUS_URI in out


def test_a_group_default_a_member_lacks_fails_the_task(tmp_path):
    """Why `uri` is not set on `volumes`: bdm_info has no such option."""
    tasks = [{"name": "bdm_info", "virtblock.volumes.bdm_info": {
        "instance_uuid": INSTANCE, "db_path": str(tmp_path / "r.sqlite")}}]
    rc, out = run_playbook(tmp_path, play({"group/virtblock.volumes.volumes": {"uri": BOGUS_URI}}, tasks))
    assert rc != 0
    assert "Unsupported parameters for (virtblock.volumes.bdm_info) module: uri" in out
