"""The tgt adapter against the real tgtd of the session fixture."""

import os
import uuid

import pytest

from support import ports

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import ServiceUnavailable
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin, TgtError


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "lun"
    with open(path, "wb") as handle:
        handle.truncate(4 * 1024 * 1024)
    iqn = "iqn.2010-10.org.openstack:volume-%s" % uuid.uuid4()
    return tgt_config.TargetSpec(iqn, str(path), incoming_users=[("u%s" % uuid.uuid4().hex[:10], "Password0123")],
                                 initiator_names=["iqn.1993-08.org.debian:01:abc"])


def test_create_matches_show_and_delete_drops_the_account(tgtd, spec):
    admin = TgtAdmin(tgtd.control_port)
    tid = admin.create(spec)
    live = admin.find(spec.iqn)
    assert live.tid == tid and live.luns == {1: os.path.realpath(spec.backing_store)}
    assert live.accounts == spec.usernames and live.driver == "iscsi" and not live.in_use
    assert sorted(live.acls) == ["ALL", "iqn.1993-08.org.debian:01:abc"]
    assert live.matches(spec)
    # tgtadm (the C client) sees the same target and account.
    assert spec.iqn in tgtd.tgtadm("--lld", "iscsi", "--op", "show", "--mode", "target")
    assert spec.usernames[0] in admin.accounts()

    admin.delete(live)
    assert admin.find(spec.iqn) is None
    assert spec.usernames[0] not in admin.accounts()


def test_a_different_backing_store_does_not_match(tgtd, spec, tmp_path):
    admin = TgtAdmin(tgtd.control_port)
    admin.create(spec)
    other = tgt_config.TargetSpec(spec.iqn, str(tmp_path), incoming_users=spec.incoming_users,
                                  initiator_names=spec.initiator_names)
    assert not admin.find(spec.iqn).matches(other)
    admin.delete(admin.find(spec.iqn))


def test_a_failed_create_leaves_nothing(tgtd, spec):
    admin = TgtAdmin(tgtd.control_port)
    spec.backing_store = "/nonexistent/lun"
    with pytest.raises(TgtError):
        admin.create(spec)
    assert admin.find(spec.iqn) is None
    assert spec.usernames[0] not in admin.accounts()


def test_no_tgtd_is_a_clear_error():
    # A control port no tgtd answers on (not a fixed one: another session's tgtd may hold it).
    with ports.machine_lock():
        idle_port = ports.free_tgtd_control_port()
        with pytest.raises(ServiceUnavailable) as err:
            TgtAdmin(control_port=idle_port).ping()
    assert "tgtd is not running" in str(err.value)


def test_create_if_absent_probes_without_listing_and_gives_way(tgtd, spec, tmp_path):
    from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import preferred_tid
    admin = TgtAdmin(tgtd.control_port)
    tid = admin.create_if_absent(spec)
    assert tid == preferred_tid(spec.iqn) and admin.find(spec.iqn).matches(spec)
    # The name is taken now: the probe refuses and changes nothing.
    assert admin.create_if_absent(spec) is None
    assert admin.find(spec.iqn).tid == tid
    admin.delete(admin.find(spec.iqn))

    # Another target sits on the preferred tid: the probe gives way, create() still works.
    squatter = tgt_config.TargetSpec("iqn.2010-10.org.example:squatter-%s" % uuid.uuid4().hex[:8],
                                     spec.backing_store)
    admin.request("target", "new", [("targetname", squatter.iqn)], tid=preferred_tid(spec.iqn))
    assert admin.create_if_absent(spec) is None
    assert admin.find(spec.iqn) is None
    new_tid = admin.create(spec)
    assert new_tid != preferred_tid(spec.iqn) and admin.find(spec.iqn).matches(spec)
    admin.delete(admin.find(spec.iqn))
    admin.delete(admin.find(squatter.iqn))
