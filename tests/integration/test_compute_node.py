"""The compute-node guest itself: reached over SSH, with a kernel iSCSI initiator that
logs in to this machine's tgtd through the guest-side portal."""

import pytest

pytestmark = pytest.mark.slow


def test_guest_has_a_kernel_initiator_and_its_own_state(compute_node):
    out = compute_node.ssh("hostname; test -e /sys/module/iscsi_tcp && echo iscsi_tcp; "
                           "pgrep -x iscsid >/dev/null && echo iscsid; "
                           "pgrep -x multipathd >/dev/null && echo multipathd; "
                           "cat /etc/iscsi/initiatorname.iscsi").stdout.split()
    assert out[:4] == ["compute1", "iscsi_tcp", "iscsid", "multipathd"]
    assert out[4] == "InitiatorName=iqn.1993-08.org.debian:01:compute1"
    assert compute_node.sessions().strip() == ""
