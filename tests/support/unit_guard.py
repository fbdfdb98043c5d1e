"""What tests/unit/conftest.py refuses: the daemon fixtures and the daemon programs."""

import os

import pytest

DAEMON_FIXTURES = ("tgtd", "postgres", "pg_url", "libvirtd_running", "virt", "guest",
                   "guest_image", "attach_env", "compute_node", "compute_inventory", "ceph",
                   "mysql", "mysql_url")

# Programs that are a daemon or talk to one (basename, or its prefix before "-").
DAEMON_PROGRAMS = ("tgtd", "tgtadm", "tgt-admin", "libvirtd", "virtlogd", "virsh", "qemu-system",
                   "qemu-io", "qemu-nbd", "iscsiadm", "iscsi-inq", "iscsi-readcapacity16", "pg_ctl",
                   "pg_ctlcluster", "postgres", "initdb", "mariadbd", "mysqld", "ceph", "rbd",
                   "ceph-mon", "ceph-osd", "ceph-mgr", "services.sh", "molecule")


class DaemonInUnitTest(pytest.fail.Exception):
    """Raised (as a test failure) when a unit test reaches for a daemon."""


def refuse(what):
    raise DaemonInUnitTest("tests/unit uses no daemon, but this test wants %s: "
                           "move it to tests/integration" % what, pytrace=False)


def program_of(args):
    argv = args if isinstance(args, (list, tuple)) else str(args).split()
    if not argv:
        return ""
    return os.path.basename(str(argv[0]))


def is_daemon_program(args):
    program = program_of(args)
    return any(program == name or program.startswith(name + "-") for name in DAEMON_PROGRAMS)
