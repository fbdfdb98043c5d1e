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
