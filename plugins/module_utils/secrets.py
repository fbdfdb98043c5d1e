# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Secrets: the ONE list of keys whose values are secret, and the walk that finds them.

Used by the masking hook of every module (``base.py``: the values are ``no_log`` before
``AnsibleModule`` validates, fails or logs anything), by the records (``rules/bdm.py``
strips these keys from a stored ``connection_info``) and by the disk rules. Pure: no I/O,
no import of the collection, so the rules may use it as they use ``errors``.

Keys are matched exactly, at any depth of a parameter (``connection_info.data.auth_password``,
a disk's ``connection_info`` inside ``libvirt_domain``'s ``disks``): ``secret_uuid`` or
``auth_username`` are not secrets, their values are kept.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

SECRET_KEYS = frozenset((
    # Cinder/os-brick connection_info["data"]: iSCSI CHAP (session and discovery), ceph.
    "auth_password", "discovery_auth_password", "target_auth_password", "chap_secret",
    "password", "secret", "keyring",
    # Our module options that carry a secret (they are no_log in their argument spec too).
    "chap_password", "db_password", "rbd_key", "ceph_key",
    # LUKS / Cinder encryption (os-brick encryptors: the passphrase, the key).
    "passphrase", "luks_passphrase", "encryption_key", "encryption_passphrase",
))


CHAP_USER_KEYS = ("auth_username", "discovery_auth_username")


def secret_values(value, secret=False):
    """Every non-empty secret value inside *value* (dicts and lists walked), as strings.

    Everything under a secret key counts (a keyring given as a dict is secret whole)."""
    found = []
    if isinstance(value, dict):
        data = value.get("data")
        if value.get("driver_volume_type") in ("iscsi", "iser") and isinstance(data, dict):
            # An iSCSI connection_info's CHAP user is half of the credentials (issue 14):
            # masked as well. An rbd user only names the ceph secret and stays visible.
            found.extend(str(data[key]) for key in CHAP_USER_KEYS if data.get(key))
        for key, item in value.items():
            found.extend(secret_values(item, secret or key in SECRET_KEYS))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.extend(secret_values(item, secret))
    elif secret and value not in (None, "", True, False):
        found.append(str(value))
    return found
