# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: CHAP credentials as Cinder makes them for an iSCSI export.

Cinder's ``volume_utils.generate_username()``/``generate_password()`` give a
20-character user and a 16-character secret from an alphabet without look-alike
characters; we do the same with the ``secrets`` module. Unlike Cinder we never keep
the secret in a database record: it lives only in the 0600 target file tgtd reads.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import secrets

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

USERNAME_LENGTH = 20
PASSWORD_LENGTH = 16
# Cinder's DEFAULT_PASSWORD_SYMBOLS: no 0/O, 1/l/I.
SYMBOL_GROUPS = ("23456789", "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz")

# Both end up in tgt's config (split on blanks) and its management request
# (split on ','), and in iSCSI URLs; keep to characters that survive all three.
_USERNAME_RE = re.compile(r"^[A-Za-z0-9._:@-]{1,255}$")
# RFC 3720 asks for at least 96 bits of secret; many initiators cap it at 16 bytes
# (Windows) or 255; 12 is the common floor.
_PASSWORD_RE = re.compile(r"^[A-Za-z0-9._~+=-]{12,255}$")


def generate(length):
    """A random string of *length* with at least one character of each group."""
    alphabet = "".join(SYMBOL_GROUPS)
    chars = [secrets.choice(group) for group in SYMBOL_GROUPS]
    chars += [secrets.choice(alphabet) for dummy in range(length - len(chars))]
    # Shuffle so the group-guaranteed characters are not always first.
    for i in range(len(chars) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def validate_username(username):
    if not _USERNAME_RE.match(username or ""):
        raise InvalidInput("chap_username must be 1-255 characters of A-Z a-z 0-9 . _ : @ -")
    return username


def validate_password(password):
    # The value itself never goes into the message.
    if not _PASSWORD_RE.match(password or ""):
        raise InvalidInput("chap_password must be 12-255 characters of A-Z a-z 0-9 . _ ~ + = -")
    return password


def resolve(username=None, password=None, existing=None):
    """Pick the credentials for a target.

    Given values win; otherwise the ones already in the target's file (so a rerun is
    idempotent, as Cinder's ``_get_target_chap_auth`` reads them back); otherwise new.
    Returns ``(username, password, generated)``.
    """
    existing = existing or (None, None)
    generated = False
    if username is None:
        username = existing[0]
    if password is None and username == existing[0]:
        password = existing[1]
    if username is None:
        username = generate(USERNAME_LENGTH)
        generated = True
    if password is None:
        password = generate(PASSWORD_LENGTH)
        generated = True
    return validate_username(username), validate_password(password), generated


CHAP_USER_MASK = "********"


def mask_chap_user(connection_info):
    """A copy for output with the CHAP user name masked: half of the credentials, it is
    not shown (bdm_info, -vvv); the stored row keeps it (disconnect and reattach read it)."""
    if not isinstance(connection_info, dict) or not isinstance(connection_info.get("data"), dict):
        return connection_info
    if connection_info.get("driver_volume_type") not in ("iscsi", "iser"):
        return connection_info
    data = dict(connection_info["data"])
    for key in ("auth_username", "discovery_auth_username"):
        if data.get(key):
            data[key] = CHAP_USER_MASK
    return dict(connection_info, data=data)
