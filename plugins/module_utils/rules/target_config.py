# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: The per-volume tgt target file, as Cinder's TgtAdm writes it.

Cinder renders ``VOLUME_CONF`` (target, backing-store, driver, incominguser, flags,
write-cache, ``scsi_sn`` and ``scsi_id``, both ``volume-<id>`` so the LUN's serial and WWID
name the volume and stay the same across re-exports) into ``<volumes_dir>/volume-<id>`` and runs ``tgt-admin --update``. Here
the stanza is rendered on the controller from ``templates/`` and parsed back into a
:class:`TargetSpec`, which the tgt adapter applies to the running tgtd for that one
target. Pure functions, no I/O.

The controller never sees the CHAP secret in the rendered text: it renders
placeholders, and :func:`fill_secrets` puts the credentials in on the storage host,
where they are kept (mode 0600) in the file tgtd reads at start.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import chap
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_iqn

CHAP_USERNAME_PLACEHOLDER = "@@VIRTBLOCK_CHAP_USERNAME@@"
CHAP_PASSWORD_PLACEHOLDER = "@@VIRTBLOCK_CHAP_PASSWORD@@"
MASK = "********"

LUN = 1  # tgt: LUN 0 is the controller, the backing store is LUN 1 (Cinder's TgtAdm)
DRIVERS = ("iscsi", "iser")
_FLAG_RE = re.compile(r"^(direct|sync)(,(direct|sync))?$")

# The directives this collection applies itself. Anything else in a user's template
# is refused rather than silently dropped from the running target.
SUPPORTED_DIRECTIVES = ("backing-store", "driver", "incominguser", "initiator-name",
                        "initiator-address", "bsoflags", "bs-type", "write-cache",
                        "scsi_sn", "scsi_id")
# tgtd keeps this many characters of scsi_sn / scsi_id (SCSI_SN_LEN, SCSI_ID_LEN): a
# "volume-<uuid>" (43) is cut, as it is under Cinder.
SCSI_NAME_LEN = 36


class TargetSpec(object):
    """What one ``<target>`` stanza asks of tgtd."""

    def __init__(self, iqn, backing_store, driver="iscsi", incoming_users=(),
                 initiator_names=(), initiator_addresses=(), bsoflags=None,
                 bs_type=None, write_cache=True, scsi_sn=None, scsi_id=None):
        self.iqn = iqn
        self.backing_store = backing_store
        self.driver = driver
        self.incoming_users = list(incoming_users)   # [(user, password)]
        self.initiator_names = list(initiator_names)
        self.initiator_addresses = list(initiator_addresses)
        self.bsoflags = bsoflags
        self.bs_type = bs_type
        self.write_cache = write_cache
        self.scsi_sn = scsi_sn
        self.scsi_id = scsi_id

    @property
    def usernames(self):
        return [user for user, dummy in self.incoming_users]

    @property
    def acl_addresses(self):
        # tgt-admin binds ALL when a target names no initiator-address.
        return self.initiator_addresses or ["ALL"]


def validate_target_flags(flags):
    if flags and not _FLAG_RE.match(flags):
        raise InvalidInput("target_flags %r must be 'direct', 'sync' or 'direct,sync'" % flags)
    return flags or None


def template_vars(iqn, backing_store, driver="iscsi", use_chap_auth=True, target_flags=None,
                  write_cache=True, initiators=(), initiator_addresses=()):
    """The variables ``templates/tgt_target.conf.j2`` is rendered with."""
    if driver not in DRIVERS:
        raise InvalidInput("driver %r is not one of %s" % (driver, ", ".join(DRIVERS)))
    # The file is line-based with no escaping and tgtd's request is split on ',':
    # every value is checked so none can carry a newline, a blank or a separator.
    for name in initiators:
        validate_iqn(name, what="initiator")
    for address in initiator_addresses:
        types.initiator_address(address)
    # Cinder: vol_id = name.split(':')[1]; scsi_sn = scsi_id = vol_id ("volume-<id>").
    scsi_name = validate_iqn(iqn).split(":", 1)[1]
    return {
        "target_name": validate_iqn(iqn),
        "backing_store": types.tgt_path(backing_store),
        "driver": driver,
        "use_chap_auth": bool(use_chap_auth),
        "chap_username": CHAP_USERNAME_PLACEHOLDER,
        "chap_password": CHAP_PASSWORD_PLACEHOLDER,
        "target_flags": validate_target_flags(target_flags),
        "write_cache": "on" if write_cache else "off",
        "initiators": list(initiators),
        "initiator_addresses": list(initiator_addresses),
        "scsi_sn": scsi_name,
        "scsi_id": scsi_name,
    }


def fill_secrets(text, username, password):
    return text.replace(CHAP_USERNAME_PLACEHOLDER, username).replace(CHAP_PASSWORD_PLACEHOLDER, password)


def mask_secrets(text, passwords):
    """The file text with every CHAP secret replaced by ``********``."""
    for password in passwords:
        if password:
            text = text.replace(password, MASK)
    # The user as well: half of the credentials (issue 14, -vvv of detach and delete).
    return re.sub(r"(incominguser\s+)\S+(\s+)\S+", r"\1" + MASK + r"\2" + MASK, text)


def mask_values(text, values):
    """*text* with every one of *values* (CHAP user and password) replaced by the mask."""
    for value in sorted((v for v in values if v), key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def existing_chap(text):
    """The (user, password) of the first ``incominguser`` in a target file, as
    Cinder's ``_get_target_chap_auth`` reads them back; ``(None, None)`` if none."""
    match = re.search(r"^\s*incominguser\s+(\S+)\s+(\S+)\s*$", text or "", re.MULTILINE)
    return (match.group(1), match.group(2)) if match else (None, None)


def _strip(line):
    return line.split("#", 1)[0].strip()


def parse(text):
    """Parse one rendered ``<target IQN> ... </target>`` stanza into a TargetSpec."""
    iqn = None
    directives = []
    closed = False
    for number, raw in enumerate((text or "").splitlines(), 1):
        line = _strip(raw)
        if not line:
            continue
        if closed:
            raise InvalidInput("target config line %d: only one <target> stanza is allowed" % number)
        opening = re.match(r"^<target\s+(\S+)\s*>$", line)
        if opening:
            if iqn is not None:
                raise InvalidInput("target config line %d: nested <target>" % number)
            iqn = opening.group(1)
            continue
        if line == "</target>":
            if iqn is None:
                raise InvalidInput("target config line %d: </target> without <target>" % number)
            closed = True
            continue
        if iqn is None:
            raise InvalidInput("target config line %d: %r outside <target>" % (number, line))
        key, dummy, value = line.partition(" ")
        if key not in SUPPORTED_DIRECTIVES:
            raise InvalidInput("target config line %d: directive %r is not supported (supported: %s)"
                               % (number, key, ", ".join(SUPPORTED_DIRECTIVES)))
        directives.append((number, key, value.strip()))
    if iqn is None or not closed:
        raise InvalidInput("target config has no complete <target IQN> ... </target> stanza")
    return _spec_from(validate_iqn(iqn), directives)


def _spec_from(iqn, directives):
    spec = TargetSpec(iqn, None)
    for number, key, value in directives:
        if not value:
            raise InvalidInput("target config line %d: %s needs a value" % (number, key))
        if key == "backing-store":
            if spec.backing_store:
                raise InvalidInput("target config line %d: only one backing-store (LUN 1) is supported" % number)
            spec.backing_store = types.tgt_path(value, "backing-store")
        elif key == "driver":
            if value not in DRIVERS:
                raise InvalidInput("target config line %d: driver %r is not one of %s"
                                   % (number, value, ", ".join(DRIVERS)))
            spec.driver = value
        elif key == "incominguser":
            parts = value.split()
            if len(parts) != 2:
                raise InvalidInput("target config line %d: incominguser needs a user and a password" % number)
            if CHAP_USERNAME_PLACEHOLDER not in parts and CHAP_PASSWORD_PLACEHOLDER not in parts:
                # Their values go into tgtd's account request: no ',' or blanks.
                chap.validate_username(parts[0])
                chap.validate_password(parts[1])
            spec.incoming_users.append((parts[0], parts[1]))
        elif key == "initiator-name":
            spec.initiator_names.append(validate_iqn(value, what="initiator-name"))
        elif key == "initiator-address":
            spec.initiator_addresses.append(types.initiator_address(value))
        elif key == "bsoflags":
            spec.bsoflags = validate_target_flags(value)
        elif key == "bs-type":
            spec.bs_type = types.tgt_bs_type(value)
        elif key == "write-cache":
            if value not in ("on", "off"):
                raise InvalidInput("target config line %d: write-cache must be on or off" % number)
            spec.write_cache = value == "on"
        elif key in ("scsi_sn", "scsi_id"):
            if not re.match(r"^[A-Za-z0-9._:-]+$", value):
                raise InvalidInput("target config line %d: %s %r may hold only letters, digits "
                                   "and . _ : -" % (number, key, value))
            setattr(spec, key, value)
    if not spec.backing_store:
        raise InvalidInput("target config for %s has no backing-store" % iqn)
    for user, password in spec.incoming_users:
        if CHAP_USERNAME_PLACEHOLDER in (user, password) or CHAP_PASSWORD_PLACEHOLDER in (user, password):
            raise InvalidInput("target config still holds CHAP placeholders: fill_secrets() first")
    return spec
