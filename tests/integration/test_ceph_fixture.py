"""The session's Ceph serves rbd to its own cephx user, and only with its key."""

import os
import subprocess
import uuid

import pytest


def test_cluster_serves_rbd_to_its_user(ceph):
    name = "volume-%s" % uuid.uuid4()
    ceph.rbd("create", "--size", "8M", "volumes/" + name)
    assert ceph.exists(name)
    with pytest.raises(subprocess.CalledProcessError) as err:
        ceph.rbd("create", "--size", "8M", "volumes/" + name)
    assert err.value.returncode == 17
    ceph.rbd("rm", "--no-progress", "volumes/" + name)
    assert not ceph.exists(name)
    assert oct(os.stat(ceph.keyring).st_mode & 0o777) == "0o600"
    assert ceph.ip.startswith("127.")
