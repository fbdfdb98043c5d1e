# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: what a value may be before it reaches libvirt XML, tgtd or a target file.

Nova's ``nova/api/validation/parameter_types.py`` in small: bounded numbers, the
enumerations libvirt and Nova accept (NIC models, machine types, disk formats, cache
modes), host names and addresses, and the paths and names tgtd takes. Templates are
autoescaped as well; these checks make a bad value fail with a clear message before
anything is rendered, and keep separators out of tgtd's ``key=value,key=value``
request and its line-based target file, where escaping does not exist. Pure, no I/O.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import math
import re

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

# nova/db/constants.py MAX_INT: Nova's bound of a flavor's ram, vcpus, disk sizes.
MAX_INT = 0x7FFFFFFF
# nova.conf [libvirt] num_pcie_ports: min 0, max 28 (what QEMU's q35 can take).
MAX_PCIE_PORTS = 28
# A detach (or other) wait: Nova's device_detach_timeout has no upper bound, but a
# module that waits more than an hour for one device is a hung task.
MAX_TIMEOUT = 3600.0
MAX_ATTEMPTS = 100
# The largest file-backed disk or volume: ext4's largest file.
MAX_FILE_BYTES = 16 << 40

# nova/network/model.py VIF_MODEL_* that nova/virt/libvirt/vif.py accepts for qemu/kvm
# (is_vif_model_valid_for_virt).
NIC_MODELS = ("virtio", "ne2k_pci", "pcnet", "rtl8139", "e1000", "e1000e", "lan9118",
              "spapr-vlan", "vmxnet3", "igb")
# The domain template has pcie-root/pcie-root-port controllers, which only q35 has
# (Nova's hw_machine_type may be any type libvirt knows; ours must be q35 for that).
_MACHINE_RE = re.compile(r"^(q35|pc-q35-\d{1,2}\.\d{1,2}(\.\d{1,2})?)$")
# nova/virt/libvirt/imagebackend.py: the formats a local disk file has here.
DISK_FORMATS = ("qcow2", "raw")
# nova/virt/libvirt/driver.py valid_cachemodes.
CACHE_MODES = ("default", "none", "writethrough", "writeback", "directsync", "unsafe")
DISCARD_MODES = ("unmap", "ignore")
# RFC 1123 host name (what libvirt's <host name=...> and a portal may carry).
_HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                          r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
# A path tgtd exports and tgt-admin reads back from the target file: its request splits
# on ',', the file on blanks, '#' starts a comment, '<' '>' open and close blocks.
_TGT_PATH_RE = re.compile(r"^/[A-Za-z0-9._+@:=~/-]*$")
# tgt-admin's bs-type values (tgt 1.0.x backing store types).
TGT_BS_TYPES = ("rdwr", "aio", "mmap", "null", "sg", "bsg", "ssc", "rbd")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def bounded_int(value, what, minimum=1, maximum=MAX_INT):
    """A whole number in [minimum, maximum]; booleans and fractions refused."""
    if isinstance(value, bool):
        raise InvalidInput("%s must be a whole number, not %r" % (what, value))
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise InvalidInput("%s must be a whole number, not %r" % (what, value))
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("%s must be a whole number, not %r" % (what, value))
    if not minimum <= number <= maximum:
        raise InvalidInput("%s %d is out of range (%d-%d)" % (what, number, minimum, maximum))
    return number


def bounded_float(value, what, minimum=0.0, maximum=MAX_TIMEOUT):
    """A finite number in (minimum, maximum]: nan and inf never end a wait."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput("%s must be a number, not %r" % (what, value))
    if isinstance(value, bool) or not math.isfinite(number):
        raise InvalidInput("%s must be a finite number, not %r" % (what, value))
    if not minimum < number <= maximum:
        raise InvalidInput("%s %s is out of range (more than %s, at most %s)"
                           % (what, number, minimum, maximum))
    return number


def one_of(value, choices, what):
    if value not in choices:
        raise InvalidInput("%s %r is not one of %s" % (what, value, ", ".join(choices)))
    return value


def nic_model(value):
    return one_of(value, NIC_MODELS, "network model")


def machine_type(value):
    if not isinstance(value, str) or not _MACHINE_RE.match(value):
        raise InvalidInput("machine %r is not a q35 machine type (q35 or pc-q35-X.Y)" % (value,))
    return value


def disk_format(value):
    return one_of(value, DISK_FORMATS, "disk format")


def cache_mode(value):
    return one_of(value, CACHE_MODES, "cache mode")


def discard_mode(value):
    if value in (None, ""):
        return None
    return one_of(value, DISCARD_MODES, "discard")


def host_address(value, what="host"):
    """An IP address (v4 or v6, brackets dropped) or an RFC 1123 host name."""
    text = str(value if value is not None else "")
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    if not _HOSTNAME_RE.match(text):
        raise InvalidInput("%s %r is not an IP address or a host name" % (what, value))
    return text


def port(value, what="port"):
    return bounded_int(value, what, 1, 65535)


def plain_text(value, what, max_length=255):
    """Free text that reaches a file or a request: no control characters (newlines)."""
    if not isinstance(value, str) or _CONTROL_RE.search(value) or len(value) > max_length:
        raise InvalidInput("%s must be text of at most %d characters without control "
                           "characters (newlines)" % (what, max_length))
    return value


def tgt_path(value, what="backing_store"):
    """An absolute path tgtd's request and tgt-admin's file both carry unchanged."""
    if not isinstance(value, str) or not _TGT_PATH_RE.match(value) or len(value) > 4096:
        raise InvalidInput("%s %r must be an absolute path of A-Z a-z 0-9 . _ + @ : = ~ / - "
                           "(tgtd splits its request on ',' and its file on blanks)" % (what, value))
    return value


def initiator_address(value):
    """``ALL``, an IP address or a network (tgt's initiator-address ACL)."""
    text = str(value if value is not None else "")
    if text == "ALL":
        return text
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=False))
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise InvalidInput("initiator address %r is not ALL, an IP address or a network" % (value,))


def tgt_bs_type(value):
    if value in (None, ""):
        return None
    return one_of(value, TGT_BS_TYPES, "bs-type")
