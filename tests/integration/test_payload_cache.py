"""The collection's module payloads kept between playbook runs (plugins/plugin_utils/payload_cache.py).

Real ``ansible-playbook`` runs with a private local_tmp: the first run builds the module's
AnsiballZ payload and keeps it, the next run's ansible-core finds it and builds nothing
(its own debug log says which), a changed module_utils file makes a new key and drops the
old one, a directory someone else could write is never trusted, and a secret given to a
module is never in what is kept.
"""
import base64
import io
import json
import os
import pickle
import shutil
import zipfile

import pytest

from support import ansible_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FQN = "ansible_collections.virtblock.volumes.plugins.modules."
SECRET = "vbtest-payload-secret-4f1c9e"
CONNECTION_INFO = {"driver_volume_type": "iscsi", "data": {
    "target_iqn": "iqn.2010-10.org.openstack:volume-payload-cache-probe",
    "target_portal": "127.0.0.1:3260", "target_lun": 1, "auth_method": "CHAP",
    "auth_username": "vbtest-user", "auth_password": SECRET}}


def run(tmp_path, local_tmp, env=None):
    tasks = [
        # the short name, resolved through the play's `collections`
        {"name": "Records", "bdm_info": {
            "db_path": str(tmp_path / "records.sqlite"),
            "instance_uuid": "0b5e1b4e-6a41-4c1e-9d0c-3f6f0e4a7d21"}},
        # Not connected on this host: nothing to do, a secret in the arguments all the same.
        {"name": "Disconnect", "virtblock.volumes.volume_connection": {
            "connection_info": CONNECTION_INFO, "state": "disconnected",
            "iscsi_initiator": "host"}, "check_mode": True},
    ]
    book = tmp_path / "play.yml"
    book.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False,
                                 "collections": ["virtblock.volumes"], "tasks": tasks}]))
    full_env = {"ANSIBLE_LOCAL_TEMP": str(local_tmp), "ANSIBLE_DEBUG": "1"}
    full_env.update(env or {})
    done = ansible_run.run_playbook(str(book), env=full_env, timeout=300)
    assert done.ok, done.stdout[-3000:]
    return done.stdout


def kept(local_tmp):
    """{key: [file names]} under the kept payloads' directory."""
    root = local_tmp / "virtblock-payloads"
    if not root.is_dir():
        return {}
    return {key: sorted(os.listdir(root / key)) for key in os.listdir(root)}


def built(stdout, leaf):
    """Did ansible-core build *leaf*'s payload in this run (its debug log line)?"""
    # "ANSIBALLZ: Creating module" follows the lock line naming the module's cache file.
    lines = stdout.splitlines()
    for number, line in enumerate(lines):
        if "ANSIBALLZ: Lock acquired" in line and FQN + leaf + "-" in line:
            return any("ANSIBALLZ: Creating module" in later for later in lines[number:number + 3])
    return False


@pytest.fixture
def local_tmp(tmp_path):
    path = tmp_path / "local_tmp"
    path.mkdir(mode=0o700)
    return path


def test_second_run_builds_nothing_and_keeps_no_secret(tmp_path, local_tmp):
    first = run(tmp_path, local_tmp)
    assert built(first, "bdm_info") and built(first, "volume_connection")
    keys = kept(local_tmp)
    assert len(keys) == 1, keys
    (names,) = keys.values()
    assert [n for n in names if n.startswith(FQN + "bdm_info-")], names
    assert [n for n in names if n.startswith(FQN + "volume_connection-")], names
    root = local_tmp / "virtblock-payloads"
    assert oct(os.stat(root).st_mode & 0o777) == "0o700"
    for name in names:
        assert oct(os.stat(root / list(keys)[0] / name).st_mode & 0o777) == "0o600", name

    second = run(tmp_path, local_tmp)
    assert "ANSIBALLZ: using cached module" in second
    assert not built(second, "bdm_info") and not built(second, "volume_connection")
    assert kept(local_tmp) == keys

    # What is kept is the modules' code: the secret the task was given is in none of it.
    for key, files in keys.items():
        for name in files:
            raw = (root / key / name).read_bytes()
            assert SECRET.encode() not in raw
            payload = pickle.loads(raw)  # ansible-core's own file (_CachedModule)
            with zipfile.ZipFile(io.BytesIO(base64.b64decode(payload.zip_data))) as archive:
                assert any(n.endswith("modules/%s.py" % name[len(FQN):].split("-")[0])
                           for n in archive.namelist())
                for member in archive.namelist():
                    assert SECRET.encode() not in archive.read(member), member


def test_off_switch_keeps_nothing(tmp_path, local_tmp):
    out = run(tmp_path, local_tmp, env={"VIRTBLOCK_PAYLOAD_CACHE": "0"})
    assert built(out, "bdm_info")
    assert kept(local_tmp) == {}


def test_untrusted_directory_is_never_used(tmp_path, local_tmp):
    root = local_tmp / "virtblock-payloads"
    root.mkdir()
    os.chmod(root, 0o777)  # anyone could have put a payload here
    run(tmp_path, local_tmp)
    second = run(tmp_path, local_tmp)
    assert built(second, "bdm_info")
    assert os.listdir(root) == []


def test_changed_module_utils_makes_a_new_key(tmp_path, local_tmp):
    """A copy of the collection whose module_utils changed does not get the old payload;
    old keys are dropped, the four most recently used kept."""
    copy = tmp_path / "collections" / "ansible_collections" / "virtblock" / "volumes"
    shutil.copytree(ROOT, str(copy), ignore=shutil.ignore_patterns(
        ".git", ".venv", ".build", "tests", "docs", "bench", "__pycache__", "*.egg-info"))
    env = {"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections")}
    run(tmp_path, local_tmp, env=env)
    (first_key,) = kept(local_tmp)
    errors = copy / "plugins" / "module_utils" / "errors.py"
    errors.write_text(errors.read_text() + "\n# changed\n")
    again = run(tmp_path, local_tmp, env=env)
    assert built(again, "bdm_info")
    (second_key,) = set(kept(local_tmp)) - {first_key}

    root = local_tmp / "virtblock-payloads"
    stale = []
    for age in range(1, 5):   # four keys last used 1-4 days ago
        old = root / ("0" * 31 + str(age))
        old.mkdir()
        os.utime(old, (os.path.getmtime(old) - age * 86400,) * 2)
        stale.append(old.name)
    errors.write_text(errors.read_text() + "# changed again\n")
    third = run(tmp_path, local_tmp, env=env)
    assert built(third, "bdm_info")
    keys = set(kept(local_tmp))
    assert len(keys) == 4, keys
    assert {first_key, second_key} <= keys and not set(stale[1:]) & keys, keys
