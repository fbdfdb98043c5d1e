# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Adapter: the only place that talks to tgtd.

It speaks tgtd's management protocol on its unix socket (``/var/run/tgtd/socket.<N>``),
the same request ``tgtadm`` sends: a fixed header (``struct tgtadm_req``) followed by
``key=value`` parameters. Two reasons to do so instead of running ``tgtadm``:

* a CHAP secret would otherwise sit on a command line (``tgtadm --password``), where
  any local user can read it from ``/proc``; Cinder's ``tgt-admin --update`` does
  exactly that;
* one request costs ~0.1 ms instead of a fork/exec of ~1 ms (``tgt-admin --update``
  is ~85 ms), which keeps applying one target flat however many exist.

Only one target is ever touched: never ``tgt-admin --update ALL``, which rescans every
file and drops running targets it does not find.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import socket
import struct
import zlib

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, ServiceUnavailable, TgtError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.target_config import LUN, SCSI_NAME_LEN

SOCKET_BASE = "/var/run/tgtd/socket"

# struct tgtadm_req (usr/tgtadm.h): mode, op, lld[64], len, tid, sid, lun, cid,
# host_no, device_type, ac_dir, pack, force. Native alignment, 120 bytes on x86_64.
_REQ = struct.Struct("@ii64sIiQQIIIIII")
_RSP = struct.Struct("@II")

_MODES = {"system": 0, "target": 1, "device": 2, "portal": 3, "lld": 4,
          "session": 5, "connection": 6, "account": 7}
_OPS = {"new": 0, "delete": 1, "show": 2, "bind": 3, "unbind": 4, "update": 5}

# tgtadm_strerror(): what tgtadm would print for each error number.
_ERRORS = {
    1: "unknown error", 2: "out of memory", 3: "can't find the driver",
    4: "can't find the target", 5: "can't find the logical unit",
    6: "can't find the session", 7: "can't find the connection",
    8: "can't find the binding", 9: "this target already exists",
    10: "this logical unit number already exists", 11: "this binding already exists",
    12: "this access control rule already exists",
    13: "this access control rule does not exist", 14: "this account already exists",
    15: "can't find the account", 16: "too many accounts", 17: "invalid request",
    18: "this target already has an outgoing account", 19: "this target is still active",
    20: "this logical unit is still active", 21: "this driver is busy",
    22: "this operation isn't supported", 23: "unknown parameter",
    24: "this device has Prevent Removal set",
}
NO_TARGET, TARGET_EXIST, NO_USER = 4, 9, 15

# Targets this collection creates get a tid derived from their IQN, far above the
# small sequential tids tgt-admin hands out, so that creating one needs no listing.
PREFERRED_TID_BASE = 1 << 20
PREFERRED_TID_SPAN = 1 << 24


def preferred_tid(iqn):
    return PREFERRED_TID_BASE + zlib.crc32(iqn.encode("utf-8")) % PREFERRED_TID_SPAN


# Cinder's write-cache off: tgt-admin's caching mode page with WCE cleared.
WRITE_CACHE_OFF_MODE_PAGE = "8:0:18:0x10:0:0xff:0xff:0:0:0xff:0xff:0xff:0xff:0x80:0x14:0:0:0:0:0:0"


_TID_RE = re.compile(r"^Target (\d+): ", re.MULTILINE)


class LiveTarget(object):
    """A target as tgtd reports it (no secrets: tgtd never shows passwords)."""

    def __init__(self, tid, iqn):
        self.tid = tid
        self.iqn = iqn
        self.driver = None
        self.nexus = 0
        self.luns = {}          # lun -> backing store path
        self.bsoflags = {}      # lun -> flags string
        self.scsi = {}          # lun -> (SCSI SN, SCSI ID)
        self.sizes_mb = {}      # lun -> size as tgtd reports it (bytes // 10**6)
        self.accounts = []
        self.acls = []

    @property
    def in_use(self):
        return self.nexus > 0

    def matches(self, spec):
        """True when the running target already is what *spec* asks for (secrets aside)."""
        return (self.driver == spec.driver
                and self.luns.get(LUN) == os.path.realpath(spec.backing_store)
                and sorted(self.accounts) == sorted(spec.usernames)
                and sorted(self.acls) == sorted(spec.acl_addresses + spec.initiator_names)
                and _flags(self.bsoflags.get(LUN)) == _flags(spec.bsoflags)
                and self._scsi_matches(spec))

    def _scsi_matches(self, spec):
        """A stanza without scsi_sn/scsi_id takes tgtd's defaults: nothing to compare."""
        live_sn, live_id = self.scsi.get(LUN, (None, None))
        cut = SCSI_NAME_LEN
        return ((spec.scsi_sn is None or live_sn == spec.scsi_sn[:cut])
                and (spec.scsi_id is None or live_id == spec.scsi_id[:cut]))


def _flags(text):
    """A set of backing store flags from the file's ``direct,sync`` or tgtd's ``sync:direct``."""
    return frozenset(flag for flag in re.split(r"[,: ]+", text or "") if flag)


def parse_show_targets(text):
    """Parse ``tgtadm --op show --mode target`` output into LiveTargets."""
    targets = []
    current = section = None
    lun = None
    for line in text.splitlines():
        head = re.match(r"^Target (\d+): (\S+)$", line)
        if head:
            current = LiveTarget(int(head.group(1)), head.group(2))
            targets.append(current)
            section = lun = None
            continue
        if current is None or not line.strip():
            continue
        if line.startswith("    ") and not line.startswith("        "):
            section = line.strip().rstrip(":")
            continue
        item = line.strip()
        if section == "System information" and item.startswith("Driver:"):
            current.driver = item.split(":", 1)[1].strip()
        elif section == "I_T nexus information" and item.startswith("I_T nexus:"):
            current.nexus += 1
        elif section == "LUN information":
            found = re.match(r"^LUN: (\d+)$", item)
            if found:
                lun = int(found.group(1))
            elif item.startswith("Backing store path:") and lun is not None:
                path = item.split(":", 1)[1].strip()
                if path != "None":
                    current.luns[lun] = path
            elif item.startswith("Size:") and lun is not None:
                found = re.match(r"^Size: (\d+) MB", item)
                if found:
                    current.sizes_mb[lun] = int(found.group(1))
            elif item.startswith("Backing store flags:") and lun is not None:
                current.bsoflags[lun] = item.split(":", 1)[1].strip() or None
            elif item.startswith("SCSI SN:") and lun is not None:
                current.scsi[lun] = (item.split(":", 1)[1].strip(), current.scsi.get(lun, (None, None))[1])
            elif item.startswith("SCSI ID:") and lun is not None:
                current.scsi[lun] = (current.scsi.get(lun, (None, None))[0], item.split(":", 1)[1].strip())
        elif section == "Account information" and not item.endswith("(outgoing)"):
            current.accounts.append(item)
        elif section == "ACL information":
            current.acls.append(item)
    return targets


class TgtAdmin(object):
    """A client of one tgtd, chosen by its control port (``tgtd -C N``)."""

    def __init__(self, control_port=0, timeout=10.0, lld="iscsi"):
        self.control_port = int(control_port)
        self.timeout = timeout
        self.lld = lld
        self.socket_path = "%s.%d" % (os.environ.get("TGT_IPC_SOCKET", SOCKET_BASE), self.control_port)

    # -- the wire ---------------------------------------------------------------
    def request(self, mode, op, params=None, tid=-1, lun=0, ac_dir=0, force=False, what=None, lld=None):
        body = b""
        for key, value in params or ():
            # tgtd splits its request on ',' (and a NUL ends it): a value carrying one
            # would add a parameter (path=/allowed,path=/secret). The rules refuse such
            # values first; this is the last line before the daemon.
            if any(char in str(value) for char in ",\0\n\r"):
                raise InvalidInput("tgtd request parameter %s carries a separator" % key)
        if params:
            body = ",".join("%s=%s" % kv for kv in params).encode("utf-8") + b"\0"
        header = _REQ.pack(_MODES[mode], _OPS[op], (lld or self.lld).encode("ascii"), _REQ.size + len(body),
                           tid, 0, lun, 0, 0, 0, ac_dir, 0, 1 if force else 0)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            try:
                sock.connect(self.socket_path)
            except (OSError, socket.error) as err:
                raise ServiceUnavailable(
                    "tgtd is not running (cannot connect to %s: %s); start it with "
                    "'tgtd --iscsi portal=<address>:3260' (control port %d)"
                    % (self.socket_path, getattr(err, "strerror", None) or err, self.control_port))
            sock.sendall(header + body)
            err, length = _RSP.unpack(self._recv(sock, _RSP.size))
            payload = self._recv(sock, length - _RSP.size) if length > _RSP.size else b""
        except socket.timeout:
            raise ServiceUnavailable("tgtd did not answer within %.0f s on %s" % (self.timeout, self.socket_path))
        finally:
            sock.close()
        if err:
            raise TgtError(what=what or "%s %s" % (op, mode),
                           error=_ERRORS.get(err, "error %d" % err), code=err)
        return payload.rstrip(b"\0").decode("utf-8", "replace")

    @staticmethod
    def _recv(sock, size):
        chunks, got = [], 0
        while got < size:
            chunk = sock.recv(min(size - got, 1 << 20))
            if not chunk:
                raise ServiceUnavailable("tgtd closed the management connection")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    # -- reading ----------------------------------------------------------------
    def ping(self):
        self.request("system", "show", what="show system")

    def portals(self):
        """The ``ip:port`` portals tgtd listens on (``--op show --mode portal``)."""
        text = self.request("portal", "show", what="show portals")
        return [line.split(":", 1)[1].strip().rsplit(",", 1)[0]
                for line in text.splitlines() if line.startswith("Portal:")]

    def targets(self):
        return parse_show_targets(self.request("target", "show", what="show targets"))

    def lookup(self, iqn):
        """``(LiveTarget or None, [every tid])`` from one ``show target``.

        tgtd can only name its targets all at once (its output grows ~1 KiB a target),
        so only this target's block is parsed; the tids come from one regex scan.
        """
        text = self.request("target", "show", what="show targets")
        tids = [int(tid) for tid in _TID_RE.findall(text)]
        head = re.search(r"^Target \d+: %s$" % re.escape(iqn), text, re.MULTILINE)
        if head is None:
            return None, tids
        end = text.find("\nTarget ", head.end())
        return parse_show_targets(text[head.start():end if end >= 0 else len(text)])[0], tids

    def find(self, iqn):
        return self.lookup(iqn)[0]

    def accounts(self):
        text = self.request("account", "show", what="show accounts")
        return [line.strip() for line in text.splitlines()[1:] if line.strip()]

    def find_by_backing_store(self, path):
        real = os.path.realpath(path)
        return [t for t in self.targets() if real in t.luns.values()]

    # -- writing ----------------------------------------------------------------
    def create(self, spec, tids=None):
        """Create the target of *spec* as tgt-admin would from its stanza.

        *tids* are the tids in use (to pick a free one without asking tgtd twice).
        On any failure the half-made target is removed again.
        """
        tids = self.lookup(spec.iqn)[1] if tids is None else tids
        tid = max(list(tids) + [0]) + 1
        self.request("target", "new", [("targetname", spec.iqn)], tid=tid, lld=spec.driver,
                     what="new target %s" % spec.iqn)
        return self._fill(tid, spec)

    def create_if_absent(self, spec):
        """Create the target at its preferred tid without listing every target.

        tgtd refuses a new target whose tid or name is taken, so one request both
        probes and creates. Returns the tid, or None when the name or the tid is
        already in use (the caller then looks the target up the slow way).
        """
        tid = preferred_tid(spec.iqn)
        try:
            self.request("target", "new", [("targetname", spec.iqn)], tid=tid, lld=spec.driver,
                         what="new target %s" % spec.iqn)
        except TgtError as err:
            if err.code == TARGET_EXIST:
                return None
            raise
        return self._fill(tid, spec)

    def _fill(self, tid, spec):
        """LUN 1, write cache, CHAP accounts and ACL of a just-created target."""
        try:
            self._new_lun(tid, spec)
            for user, password in spec.incoming_users:
                self.set_account(user, password)
                self.request("account", "bind", [("user", user)], tid=tid, what="bind account %s" % user)
            for address in spec.acl_addresses:
                self.request("target", "bind", [("initiator-address", address)], tid=tid,
                             what="bind initiator-address %s" % address)
            for name in spec.initiator_names:
                self.request("target", "bind", [("initiator-name", name)], tid=tid,
                             what="bind initiator-name %s" % name)
        except Exception:
            self._delete_quietly(tid, spec.usernames)
            raise
        return tid

    def _new_lun(self, tid, spec):
        """LUN 1 of *spec* (backing store, type, flags, write cache, SCSI names) on target *tid*."""
        lun_params = [("path", spec.backing_store)]
        if spec.bs_type:
            lun_params.append(("bstype", spec.bs_type))
        if spec.bsoflags:
            # tgtd separates flags with ':' (its request already uses ',').
            lun_params.append(("bsoflags", ":".join(sorted(_flags(spec.bsoflags)))))
        self.request("device", "new", lun_params, tid=tid, lun=LUN, what="new LUN %d" % LUN)
        if not spec.write_cache:
            self.request("device", "update", [("mode_page", WRITE_CACHE_OFF_MODE_PAGE)],
                         tid=tid, lun=LUN, what="write-cache off")
        scsi = [(k, getattr(spec, k)) for k in ("scsi_sn", "scsi_id") if getattr(spec, k)]
        if scsi:   # as tgt-admin: "--op update --mode logicalunit --params scsi_sn=..,scsi_id=.."
            self.request("device", "update", scsi, tid=tid, lun=LUN, what="scsi_sn/scsi_id")

    def resize_lun(self, target, spec):
        """Make tgtd read the backing store's new size: LUN 1 deleted and made again from
        *spec* on the same target.

        Cinder's ``ISCSITarget.extend_target`` runs ``tgt-admin --update <iqn> -f`` when the
        volume is attached, which deletes the whole target and drops the initiators'
        sessions ("This will cause IO disruption"). tgtd opens a backing store once and
        keeps its size, but the target, its I_T nexus, CHAP binding and ACL outlive a LUN:
        only LUN 1 is remade, so a logged-in initiator keeps its session and sees the new
        capacity on its next READ CAPACITY (QEMU's block_resize, a SCSI rescan). tgtd
        refuses (20, "this logical unit is still active") while commands are in flight:
        the error is reported and the LUN left as it was.
        """
        self.request("device", "delete", tid=target.tid, lun=LUN, what="delete LUN %d" % LUN)
        try:
            self._new_lun(target.tid, spec)
        except TgtError:
            # put a LUN back (old flags from spec are the same) rather than leave none
            try:
                self.request("device", "new", [("path", spec.backing_store)], tid=target.tid, lun=LUN)
            except TgtError:
                pass
            raise

    def set_account(self, user, password):
        """(Re)create a global CHAP account: tgtd cannot change a password in place."""
        try:
            self.request("account", "delete", [("user", user)], what="delete account %s" % user)
        except TgtError as err:
            if err.code != NO_USER:
                raise
        self.request("account", "new", [("user", user), ("password", password)],
                     what="new account %s" % user)

    def delete(self, target, force=False, accounts=()):
        """Remove a running target and the CHAP accounts it used.

        tgtd keeps accounts after their target is gone; they are global, so only
        the ones named for this target are dropped.
        """
        if target is not None:
            try:
                self.request("target", "delete", tid=target.tid, force=force,
                             what="delete target %s" % target.iqn)
            except TgtError as err:
                if err.code != NO_TARGET:
                    raise
        for user in set(accounts) | set(target.accounts if target else ()):
            try:
                self.request("account", "delete", [("user", user)], what="delete account %s" % user)
            except TgtError as err:
                if err.code != NO_USER:
                    raise

    def _delete_quietly(self, tid, users):
        try:
            self.request("target", "delete", tid=tid, force=True)
        except Exception:
            pass
        for user in users:
            try:
                self.request("account", "delete", [("user", user)])
            except Exception:
                pass
