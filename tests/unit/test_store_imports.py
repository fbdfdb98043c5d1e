"""What a module run pays before it does anything: the SQLite store without SQLAlchemy,
os-brick only where a host connection is made; and the SQLite schema the store creates
with the standard library is the one SQLAlchemy's metadata (used on servers) describes."""
import os
import re
import sqlite3
import subprocess
import sys

import pytest

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(n[:-3] for n in os.listdir(os.path.join(ROOT, "plugins", "modules"))
                 if n.endswith(".py") and not n.startswith("_"))
LIBVIRT_MODULES = set(n for n in MODULES if n.startswith("libvirt")) | {"volume_audit"}


def test_modules_import_no_toolkit_they_do_not_use():
    """Every module imported in one fresh interpreter: none pulls in SQLAlchemy (servers
    only, imported when one is used) or os-brick (imported when a host connection is made);
    libvirt only the modules that talk to libvirtd (the audit looks at the guests too)."""
    code = ("import sys\n"
            "def top(): return set(m.split('.')[0] for m in sys.modules)\n"
            "for name in sys.argv[1:]:\n"
            "    __import__('ansible_collections.virtblock.volumes.plugins.modules.' + name)\n"
            "    print(name, ' '.join(sorted(top() & {'sqlalchemy', 'os_brick', 'libvirt'})))\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    ordered = sorted(MODULES, key=lambda name: name in LIBVIRT_MODULES)
    done = subprocess.run([sys.executable, "-c", code] + ordered, env=env, capture_output=True,
                          text=True, check=True)
    loaded = dict((line.split(" ", 1) + [""])[:2] for line in done.stdout.splitlines())
    assert sorted(loaded) == MODULES
    assert dict((name, set(found.split())) for name, found in loaded.items()) == dict(
        (name, {"libvirt"} if name in LIBVIRT_MODULES else set()) for name in MODULES)


def test_sqlite_store_runs_without_sqlalchemy(tmp_path):
    code = ("import sys; sys.modules['sqlalchemy'] = None\n"   # importing it would fail
            "from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database "
            "import Store\n"
            "print(Store(path=%r).run(lambda tx: tx.volume_get('x')))" % str(tmp_path / "r.sqlite"))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr


def _normalised(sql):
    flat = re.sub(r"\s+", " ", (sql or "").replace("IF NOT EXISTS ", ""))
    return re.sub(r"\s*([(),])\s*", r"\1", flat).strip()


def _schema(path):
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master")
        return sorted((kind, name, _normalised(sql)) for kind, name, sql in rows)


def test_sqlite_schema_is_the_metadata_schema(tmp_path):
    sqlalchemy = pytest.importorskip("sqlalchemy")
    ours, theirs = str(tmp_path / "ours.sqlite"), str(tmp_path / "theirs.sqlite")
    database.Store(path=ours).run(lambda tx: None)
    engine = sqlalchemy.create_engine("sqlite:///" + theirs)
    database.server_metadata().create_all(engine)
    engine.dispose()
    assert [row[:2] for row in _schema(ours)] == [row[:2] for row in _schema(theirs)]
    assert _schema(ours) == _schema(theirs)


def test_volume_connection_reads_the_host_state_without_os_brick():
    """A disconnect of a volume that is not connected, a check-mode connect and the
    ``auto`` choice read /dev and /sys only: os-brick (20 s of imports in a TCG compute
    node) is imported only to log in or out. The by-path links below do not exist here."""
    code = ("import sys; sys.modules['os_brick'] = None\n"   # importing it would fail
            "from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import host_connection\n"
            "info = {'driver_volume_type': 'iscsi', 'data': {'target_portal': '127.0.0.9:3260',\n"
            "        'target_iqn': 'iqn.2010-10.org.openstack:volume-x', 'target_lun': 1}}\n"
            "p = dict(connection_info=info, iscsi_initiator=sys.argv[1], use_multipath=False,\n"
            "         device_scan_attempts=3, lock_path='/tmp', state=sys.argv[2])\n"
            "result, before, after = host_connection.set_connection(p, check_mode=True)\n"
            "print(result['changed'], before, after, result['iscsi_initiator'])\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    outs = []
    for initiator, state in (("host", "disconnected"), ("host", "connected"), ("auto", "disconnected")):
        done = subprocess.run([sys.executable, "-c", code, initiator, state], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        outs.append(done.stdout.split())
    link = "/dev/disk/by-path/ip-127.0.0.9:3260-iscsi-iqn.2010-10.org.openstack:volume-x-lun-1"
    assert outs[0] == ["False", "None", "None", "host"]
    assert outs[1] == ["True", "None", link, "host"]
    # This machine has no iscsi_tcp (ENVIRONMENT.md): auto takes the QEMU path.
    assert outs[2][3] in ("host", "qemu")
