"""A private PostgreSQL (15 on Debian 12, 17 on Debian 13) for the tests, on 127.0.0.1 and a
free port from 55432 up (picked and bound under the machine lock of ``ports``, so two sessions
never take the same one).

PostgreSQL refuses to run as root, so the cluster lives in a temporary directory owned by
the ``postgres`` user and is started and stopped as that user. ``pg_url`` gives each test
a fresh database in it.
"""

import glob
import itertools
import os
import shutil
import subprocess
import tempfile

import pytest

from support import ports


def _pg_bin():
    """Debian puts each major version's server programs in /usr/lib/postgresql/N/bin:
    15 on Debian 12, 17 on Debian 13. The newest one installed serves the tests."""
    if os.environ.get("VIRTBLOCK_PG_BIN"):
        return os.environ["VIRTBLOCK_PG_BIN"]
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        return "/usr/lib/postgresql/15/bin"
    return os.path.dirname(max(found, key=lambda path: int(path.split("/")[4])))


PG_BIN = _pg_bin()
_counter = itertools.count()


def _free_port(start=55432, count=200):
    for port in range(start, start + count):
        if ports.port_free("127.0.0.1", port):
            return port
    raise RuntimeError("no free port for PostgreSQL in %d-%d" % (start, start + count))


def _as_postgres(argv, **kwargs):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True,
                          capture_output=True, text=True, **kwargs)


class Postgres(object):
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="virtblock-pg-")
        shutil.chown(self.base, "postgres", "postgres")
        os.chmod(self.base, 0o700)
        self.data = os.path.join(self.base, "data")
        self.port = None

    def start(self):
        _as_postgres([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres",
                      "--auth=trust", "-E", "UTF8"], timeout=120)
        # The port is free until the server binds it: pick it and start under the lock.
        with ports.machine_lock():
            self.port = _free_port()
            self._pg_ctl_start()

    def _pg_ctl_start(self):
        opts = "-c listen_addresses=127.0.0.1 -p %d -c unix_socket_directories=%s " \
               "-c max_connections=100 -c fsync=off" % (self.port, self.base)
        _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-o", opts, "-w",
                      "-t", "60", "-l", os.path.join(self.base, "log"), "start"], timeout=90)

    def stop(self):
        try:
            _as_postgres([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-m", "fast", "-w",
                          "stop"], timeout=60)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database="postgres"):
        return "postgresql+psycopg://postgres@127.0.0.1:%d/%s" % (self.port, database)

    def create_database(self):
        import psycopg
        name = "t%d_%d" % (os.getpid(), next(_counter))
        with psycopg.connect("host=127.0.0.1 port=%d user=postgres dbname=postgres"
                             % self.port, autocommit=True) as conn:
            conn.execute("CREATE DATABASE %s" % name)
        return self.url(name)


@pytest.fixture(scope="session")
def postgres():
    server = Postgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres):
    """A fresh, empty database on the test server."""
    return postgres.create_database()
