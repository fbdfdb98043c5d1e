"""A private MariaDB (Debian's mysql server: 10.11 on Debian 12, 11.8 on Debian 13) for
the tests, on a free loopback address (tests/support/ports.py) and a temporary datadir.

``mariadb-install-db`` makes the datadir; ``mariadbd`` serves it on the session's address and
its own socket, as root (``--user=root``: a throw-away server under the test's temp dir).
The tests reach it over TCP as a user with a password, as a controller would: ``mysql_url``
gives each test a fresh database and a PyMySQL URL without the password, which goes in
``db_password`` (``mysql.password``), so the URL a test passes around holds no secret.
"""

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from support import ports

PORT = 3306
USER = "virtblock"
_counter = itertools.count()


def _program(*names):
    for name in names:
        path = shutil.which(name) or (os.path.exists("/usr/sbin/" + name) and "/usr/sbin/" + name)
        if path:
            return path
    return None


class MariaDB(object):
    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="virtblock-mysql-")
        self.data = os.path.join(self.base, "data")
        self.socket = os.path.join(self.base, "sock")
        self.password = "vb-" + os.urandom(9).hex()
        self.ip = None
        self.proc = None

    def start(self):
        install = _program("mariadb-install-db", "mysql_install_db")
        server = _program("mariadbd", "mysqld")
        if not install or not server:
            pytest.fail("MariaDB is not installed (apt-get install mariadb-server: scripts/setup.sh)")
        subprocess.run([install, "--no-defaults", "--datadir=" + self.data, "--user=root",
                        "--auth-root-authentication-method=normal"],
                       check=True, capture_output=True, timeout=180)
        with ports.machine_lock():
            self.ip = ports.free_loopback_ip(PORT)
            self.proc = subprocess.Popen(
                [server, "--no-defaults", "--datadir=" + self.data, "--user=root",
                 "--bind-address=" + self.ip, "--port=%d" % PORT, "--socket=" + self.socket,
                 "--pid-file=" + os.path.join(self.base, "pid"),
                 "--log-error=" + os.path.join(self.base, "error.log"),
                 "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
                 "--innodb-flush-log-at-trx-commit=0", "--max-connections=100"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
            self._wait_listening(60)
        self.sql("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; GRANT ALL ON *.* TO '%s'@'%%';"
                 % (USER, self.password, USER))

    def _wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with socket.socket() as sock:
                if sock.connect_ex((self.ip, PORT)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("mariadbd did not listen on %s:%d:\n%s"
                             % (self.ip, PORT, self.error_log()[-3000:]))

    def error_log(self):
        try:
            with open(os.path.join(self.base, "error.log")) as handle:
                return handle.read()
        except OSError:
            return ""

    def sql(self, statements):
        """Run SQL as the server's root over its socket (root has no TCP login)."""
        import pymysql
        conn = pymysql.connect(unix_socket=self.socket, user="root", autocommit=True)
        try:
            with conn.cursor() as cursor:
                for statement in filter(None, (s.strip() for s in statements.split(";"))):
                    cursor.execute(statement)
        finally:
            conn.close()

    def stop(self):
        try:
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()    # mariadbd shuts down cleanly on SIGTERM
                try:
                    self.proc.wait(60)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(10)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database):
        return "mysql+pymysql://%s@%s:%d/%s" % (USER, self.ip, PORT, database)

    def url_with_password(self, database):
        return "mysql+pymysql://%s:%s@%s:%d/%s" % (USER, self.password, self.ip, PORT, database)

    def create_database(self):
        name = "t%d_%d" % (os.getpid(), next(_counter))
        self.sql("CREATE DATABASE %s" % name)
        return name


@pytest.fixture(scope="session")
def mysql():
    server = MariaDB()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def mysql_url(mysql):
    """A fresh, empty database on the test server: its URL with the password in it (the
    store's own tests); modules get the URL without it and ``db_password``."""
    return mysql.url_with_password(mysql.create_database())
