# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: the compute host's side of a volume (Nova's ``_connect_volume`` /
``_disconnect_volume`` and ``get_volume_connector``).

The plan (what os-brick is asked, or why nothing is) is ``rules/host_connection``; the
os-brick calls are the adapter's. Modules get dicts.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import item_option
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import host_connection as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import os_brick as brick
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import iscsi_sessions
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput


def connector(my_ip, multipath, enforce_multipath, host):
    """os-brick's ``get_connector_properties`` for this host (what Cinder is given)."""
    if my_ip:
        try:
            ipaddress.ip_address(my_ip)
        except ValueError:
            raise InvalidInput("my_ip %r is not an IP address" % my_ip)
    return brick.connector_properties(my_ip, multipath, enforce_multipath, host)


def host_paths():
    """Which iSCSI path this host supports: ``kernel_initiator``, ``multipathd`` and the
    ``iscsi_initiator`` the roles' ``auto`` takes. Nova has one path per deployment
    (its volume driver, ``[libvirt] volume_use_multipath``); the roles choose per host."""
    found = brick.host_initiators()
    return dict(found, iscsi_initiator="host" if found["kernel_initiator"] else "qemu")


def set_connection(p, check_mode):
    """Connect (``state=connected``) or disconnect the volume of ``p["connection_info"]``.

    Returns (result, before, after): *before*/*after* the host device path or None."""
    info = p["connection_info"]
    initiator = p["iscsi_initiator"]
    if initiator == "auto":
        # Decided here, on the compute host: what it has, not what the controller guesses.
        # Only the kernel initiator's presence decides; multipathd (host_paths) would
        # import os-brick for nothing.
        initiator = "host" if rules.is_iscsi(info) and brick.kernel_initiator() else "qemu"
    step = rules.plan(info, initiator, p["use_multipath"], p["device_scan_attempts"],
                      connecting=p["state"] == "connected")
    if step["protocol"] is None:
        return dict(changed=False, host_connection=False, msg=step["reason"],
                    connection_info=info, iscsi_initiator=initiator), None, None
    props = step["properties"]
    # Where it is connected (or not) is read from /dev and /sys; os-brick is imported only
    # to change that. Nova calls connect_volume every time (os-brick is idempotent); a
    # module that runs on every rerun cannot afford the import on a slow compute node.
    before = brick.current_iscsi_path(props, p["use_multipath"])

    def connection():
        return brick.BrickConnection(step["protocol"], step["connector_kwargs"], p["lock_path"])
    lingering = None
    if p["state"] == "connected":
        after = before or rules.by_path(props)
        if before is None and not check_mode:
            after = connection().connect(props)
        changed = before is None
    else:
        after = None
        # Nova calls disconnect_volume whatever it finds; os-brick then logs out of the
        # target's sessions even without a device. We skip os-brick's import only when
        # neither a device link nor a session to the target is left.
        lingering = before is None and rules.lingering_sessions(props, iscsi_sessions.sessions())
        if (before is not None or lingering) and not check_mode:
            connection().disconnect(props, before)
        changed = before is not None or bool(lingering)
    result = dict(changed=changed,
                  host_connection=True, connection_info=rules.with_device_path(info, after),
                  iscsi_initiator=initiator)
    if after:
        result["device_path"] = after
    if lingering:
        # The diff's "before": what was left, a session without a device.
        before = "iscsi session to %s (no device)" % lingering[0]["target_iqn"]
    return result, before, after


# connector_info's options, defined once (the module takes them from here).
CONNECTOR_INFO_SPEC = dict(
    argument_spec=dict(
        my_ip=dict(type="str"),
        host=dict(type="str"),
        multipath=dict(type="bool", default=False),
        enforce_multipath=dict(type="bool", default=False),
    ),
)


# volume_connection's options, defined once (the module takes them from here).
VOLUME_CONNECTION_SPEC = dict(
    argument_spec=dict(
        connection_info=dict(type="dict"),
        state=dict(type="str", choices=["connected", "disconnected"], default="connected"),
        iscsi_initiator=dict(type="str", choices=["host", "qemu", "auto"], default="host"),
        use_multipath=dict(type="bool", default=False),
        device_scan_attempts=dict(type="int", default=5),
        lock_path=dict(type="path", default="/var/lib/virtblock/locks"),
    ),
    required_one_of=[("connection_info", "volumes")],
    mutually_exclusive=[("connection_info", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' connections in one run (os-brick
# imported once); each item's options override the task's.
VOLUME_CONNECTION_SPEC["argument_spec"]["volumes"] = item_option(
    VOLUME_CONNECTION_SPEC, ("connection_info",), required=("connection_info",),
    # only names the item in the results (else connection_info's data.volume_id does)
    extra=dict(volume_id=dict(type="str")))
