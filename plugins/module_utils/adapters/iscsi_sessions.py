# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the compute host's kernel iSCSI sessions, as the kernel lists them in sysfs.

os-brick's ``ISCSIConnector._get_iscsi_sessions_full`` runs ``iscsiadm -m session``, which
prints what the kernel's ``iscsi_session`` and ``iscsi_connection`` classes hold; we read
those files instead: no command, no os-brick import (0.4 s) for a listing. A host without
the ``iscsi_tcp`` transport has no ``/sys/class/iscsi_session``: None (nothing to compare),
not an empty list. Disconnecting a session goes through os-brick (``adapters/os_brick``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.files import read_text


def _value(path):
    text = read_text(path)
    return text.strip() if text is not None else None


def sessions(sysfs="/sys"):
    """``[{sid, target_iqn, target_portal}]`` sorted by sid, or None without the class."""
    base = os.path.join(sysfs, "class", "iscsi_session")
    if not os.path.isdir(base):
        return None
    found = []
    for name in os.listdir(base):
        if not name.startswith("session") or not name[len("session"):].isdigit():
            continue
        sid = int(name[len("session"):])
        conn = os.path.join(sysfs, "class", "iscsi_connection", "connection%d:0" % sid)
        address, port = _value(os.path.join(conn, "persistent_address")), _value(
            os.path.join(conn, "persistent_port"))
        portal = None
        if address and port:
            portal = ("[%s]:%s" if ":" in address else "%s:%s") % (address, port)
        found.append({"sid": sid, "target_iqn": _value(os.path.join(base, name, "targetname")),
                      "target_portal": portal})
    return sorted(found, key=lambda s: s["sid"])
