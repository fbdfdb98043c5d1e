"""Free loopback addresses and ports for the daemons a test session starts.

Two checkouts may run their suites on one machine at once, so nothing here is fixed:
a session takes a loopback address whose port is free and a tgtd control port no
tgtd answers on, under a machine-wide lock so two sessions never pick the same one.
"""

import contextlib
import fcntl
import os
import random
import socket
import subprocess

LOCK = "/tmp/virtblock-test-ports.lock"


@contextlib.contextmanager
def machine_lock():
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def port_free(ip, port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((ip, port))
        except OSError:
            return False
    return True


def free_loopback_ip(port, avoid=(), tries=400):
    """A 127.0.x.y address (x in 100..199) where *port* is free."""
    rng = random.Random(os.getpid())
    for _attempt in range(tries):
        ip = "127.0.%d.%d" % (rng.randint(100, 199), rng.randint(2, 250))
        if ip not in avoid and port_free(ip, port):
            return ip
    raise RuntimeError("no loopback address with port %d free" % port)


def tgtd_control_port_free(port):
    if os.path.exists("/var/run/tgtd/socket.%d" % port):
        probe = subprocess.run(["tgtadm", "-C", str(port), "--op", "show", "--mode", "system"],
                               capture_output=True, timeout=10, check=False)
        return probe.returncode != 0
    return True


def free_tgtd_control_port(tries=400):
    rng = random.Random(os.getpid() * 7)
    for _attempt in range(tries):
        port = rng.randint(100, 30000)
        if tgtd_control_port_free(port):
            return port
    raise RuntimeError("no free tgtd control port")
