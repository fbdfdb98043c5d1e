# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Validation of the identifiers operators pass in: volume ids, IQNs, portals.

Pure functions, no I/O. Ids end up in file names and target names, so they are
checked strictly before anything is written.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

# Cinder and Nova ids are canonical, dashed UUIDs. uuid.UUID() would also take
# braces, "urn:uuid:" and undashed hex, none of which may reach a file name.
_UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# RFC 3720 3.2.6.3.1: iqn.YYYY-MM.reversed.domain[:anything]
_IQN_RE = re.compile(
    r"^iqn\.\d{4}-(0[1-9]|1[0-2])\."
    r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*"
    r"(:[A-Za-z0-9.:_-]*)?$")

DEFAULT_TARGET_PREFIX = "iqn.2010-10.org.openstack:"


def validate_uuid(value, what="volume_id"):
    """Return *value* lower-cased if it is a canonical UUID, else raise InvalidInput."""
    text = str(value or "").strip().lower()
    if not _UUID_RE.match(text):
        raise InvalidInput("%s %r is not a valid UUID" % (what, value))
    return text


def volume_name(volume_id):
    """Cinder's ``volume_name_template``: ``volume-<id>``."""
    return "volume-%s" % validate_uuid(volume_id)


def validate_iqn(iqn, what="IQN"):
    if not iqn or len(iqn) > 223 or not _IQN_RE.match(iqn):
        raise InvalidInput("%s %r is not a valid iSCSI qualified name (iqn.YYYY-MM.domain[:name])"
                           % (what, iqn))
    return iqn


def target_iqn(prefix, volume_id):
    """Cinder's IQN: ``target_prefix`` + ``volume-<id>``."""
    prefix = prefix if prefix is not None else DEFAULT_TARGET_PREFIX
    if not prefix.endswith(":"):
        # Cinder concatenates blindly; a prefix without ':' would glue the volume
        # name onto the domain part and make an IQN that still parses but lies.
        raise InvalidInput("target_prefix %r must end with ':'" % prefix)
    validate_iqn(prefix.rstrip(":"), what="target_prefix")
    return validate_iqn(prefix + volume_name(volume_id))


def validate_port(port, what="target_port"):
    try:
        number = int(port)
    except (TypeError, ValueError):
        raise InvalidInput("%s %r is not a number" % (what, port))
    if not 1 <= number <= 65535:
        raise InvalidInput("%s %d is out of range (1-65535)" % (what, number))
    return number


def portal(address, port):
    """``ip:port`` as Cinder puts it in ``target_portal`` (IPv6 in brackets)."""
    try:
        ip = ipaddress.ip_address(str(address).strip("[]"))
    except ValueError:
        raise InvalidInput("target_ip_address %r is not an IP address" % (address,))
    port = validate_port(port)
    if ip.version == 6:
        return "[%s]:%d" % (ip, port)
    return "%s:%d" % (ip, port)
