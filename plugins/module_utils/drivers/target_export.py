# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: Cinder TgtAdm's ``create_iscsi_target``/``remove_iscsi_target`` for one volume.

Composes the pure rules (target file, CHAP, connection_info) with the two places
that hold state on the storage host: the target file and the running tgtd (through
the tgt adapter). Each step is ordered so that a failure leaves the previous state:
the file is only replaced once the running target can be changed, and put back if
creating it fails (Cinder unlinks its file in the same case).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.basic import env_fallback

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import item_option
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import chap
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ISCSITargetCreateFailed, ISCSITargetRemoveFailed, InvalidInput, VirtblockError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import volume_name


# iscsi_target's options, defined once: the module and its action plugin (which validates
# a task's arguments on the controller before rendering) both use this.
ISCSI_TARGET_SPEC = dict(
    argument_spec=dict(
        volume_id=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        backing_store=dict(type="path"),
        backing_dir=dict(type="path"),
        target_prefix=dict(type="str", default="iqn.2010-10.org.openstack:"),
        target_ip_address=dict(type="str", default="127.0.0.1"),
        target_port=dict(type="int", default=3260),
        target_secondary_ip_addresses=dict(type="list", elements="str", default=[]),
        listen_ip_addresses=dict(type="list", elements="str"),
        iscsi_protocol=dict(type="str", choices=["iscsi", "iser"], default="iscsi"),
        use_chap_auth=dict(type="bool", default=True),
        chap_username=dict(type="str", fallback=(env_fallback, ["VIRTBLOCK_CHAP_USERNAME"])),
        chap_password=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_CHAP_PASSWORD"])),
        initiators=dict(type="list", elements="str", default=[]),
        initiator_addresses=dict(type="list", elements="str", default=[]),
        connector=dict(type="dict"),
        target_flags=dict(type="str", choices=["direct", "sync", "direct,sync"]),
        write_cache=dict(type="bool", default=True),
        access_mode=dict(type="str", choices=["rw", "ro"], default="rw"),
        qos_specs=dict(type="dict"),
        encrypted=dict(type="bool", default=False),
        discard=dict(type="bool", default=False),
        multiattach=dict(type="bool", default=False),
        volumes_dir=dict(type="path", default="/var/lib/virtblock/volumes"),
        tgt_include_file=dict(type="path", default="/etc/tgt/conf.d/virtblock-volumes.conf"),
        control_port=dict(type="int", default=0),
        force=dict(type="bool", default=False),
        template=dict(type="path"),
        target_config=dict(type="str"),
    ),
    required_if=[("state", "present", ["backing_store", "backing_dir"], True)],
    required_one_of=[("volume_id", "volumes")],
    mutually_exclusive=[("volume_id", "volumes")],
)
# A batch (module_utils/batch.py): the targets of several volumes in one run, one tgtd
# connection; each item's options override the task's.
ISCSI_TARGET_SPEC["argument_spec"]["volumes"] = item_option(
    ISCSI_TARGET_SPEC, ("volume_id", "backing_store", "access_mode", "qos_specs", "encrypted", "discard",
                        "multiattach", "target_config"),
    required=("volume_id",))


class TargetExport(object):

    def __init__(self, tgt, volumes_dir, volume_id, iqn):
        self.tgt = tgt
        self.volume_id = volume_id
        self.iqn = iqn
        self.volumes_dir = volumes_dir
        self.path = os.path.join(volumes_dir, volume_name(volume_id))

    def current_text(self):
        return files.read_text(self.path)

    def desired(self, rendered, use_chap_auth, username=None, password=None):
        """The file text to write, its TargetSpec and the CHAP pair (or None)."""
        old_text = self.current_text()
        credentials = None
        if use_chap_auth:
            user, secret, dummy = chap.resolve(username, password, tgt_config.existing_chap(old_text))
            credentials = (user, secret)
            text = tgt_config.fill_secrets(rendered, user, secret)
        else:
            text = rendered
        try:
            spec = tgt_config.parse(text)
        except VirtblockError as err:
            # A template that puts {{ chap_password }} where a path belongs must not
            # make the message carry the secret (or the CHAP user) it was filled with.
            if credentials:
                err.msg = tgt_config.mask_values(err.msg, credentials)
                err.args = (err.msg,)
            raise
        if spec.iqn != self.iqn:
            raise InvalidInput("the target template renders target %s, expected %s" % (spec.iqn, self.iqn))
        if use_chap_auth and spec.usernames != [credentials[0]]:
            raise InvalidInput("the target template must render exactly one "
                               "'incominguser {{ chap_username }} {{ chap_password }}' when CHAP is on")
        return text, spec, credentials

    def create_fast(self, text, spec):
        """A first export (no target file yet): create the target at its preferred
        tid in one probing request, then write the file. Returns the tid, or None
        when tgtd already has the name or the tid (then plan/apply the slow way)."""
        if self.current_text() is not None:
            return None
        tid = self.tgt.create_if_absent(spec)
        if tid is None:
            return None
        try:
            files.ensure_dir(self.volumes_dir)
            files.write_atomically(self.path, text)
        except Exception:
            self.tgt.delete(self.tgt.find(self.iqn), force=True, accounts=spec.usernames)
            raise
        return tid

    def plan_present(self, text, spec, force=False):
        """Return (changed, live target) without changing anything."""
        live, tids = self.tgt.lookup(self.iqn)
        file_changed = self.current_text() != text
        live_ok = live is not None and live.matches(spec)
        if (file_changed or not live_ok) and live is not None and live.in_use and not force:
            raise VirtblockError(
                "target %s is in use by %d session(s); its configuration differs from the running "
                "target. Disconnect the initiators or set force=true." % (self.iqn, live.nexus))
        return file_changed or not live_ok, live, tids

    def apply_present(self, text, spec, live, tids):
        """Replace file and running target; on failure put both back as they were
        (the old target, its CHAP account, its file), so a bad rerun never takes
        down an export that worked."""
        old_text = self.current_text()
        old_spec = self._old_spec(old_text, live)
        files.ensure_dir(self.volumes_dir)
        files.write_atomically(self.path, text)
        removed = False
        try:
            if live is not None:
                self.tgt.delete(live, force=True, accounts=spec.usernames)
                removed = True
                tids = [tid for tid in tids if tid != live.tid]
            return self.tgt.create(spec, tids=tids)
        except VirtblockError as err:
            self._restore(old_text)
            if removed and old_spec is not None:
                self._recreate(old_spec)
            raise ISCSITargetCreateFailed(self.volume_id, err.msg)

    def _old_spec(self, old_text, live):
        """The running target as its kept file describes it (with its CHAP secret),
        or None when there is nothing to restore from."""
        if live is None or old_text is None:
            return None
        try:
            spec = tgt_config.parse(old_text)
        except VirtblockError:
            return None
        return spec if spec.iqn == self.iqn else None

    def _recreate(self, old_spec):
        try:
            self.tgt.create(old_spec)
        except VirtblockError:
            pass  # the first error is the one to report; the old file is back for tgt-admin

    def _restore(self, old_text):
        if old_text is None:
            files.remove(self.path)
        else:
            files.write_atomically(self.path, old_text)

    def lun_to_extend(self, backing_path, size_bytes):
        """The running target whose LUN 1 serves *backing_path* at less than *size_bytes*,
        with the TargetSpec to remake the LUN from (Cinder's ``extend_target``), or None."""
        live = self.tgt.find(self.iqn)
        if live is None or live.luns.get(tgt_config.LUN) != os.path.realpath(backing_path):
            return None
        # tgtd shows whole MB (10**6 bytes), rounded to the nearest
        if live.sizes_mb.get(tgt_config.LUN, 0) >= (size_bytes + 500000) // 10 ** 6:
            return None
        spec = self._old_spec(self.current_text(), live)
        if spec is None:
            # no file of ours (a target made by hand): keep what tgtd shows of the LUN
            spec = tgt_config.TargetSpec(self.iqn, backing_path, bsoflags=live.bsoflags.get(tgt_config.LUN))
        return live, spec

    def extend(self, live, spec):
        try:
            self.tgt.resize_lun(live, spec)
        except VirtblockError as err:
            raise VirtblockError("Failed to extend the iSCSI target of volume %s: %s" % (self.volume_id, err.msg))

    def plan_absent(self, force=False):
        text = self.current_text()
        live = self.tgt.find(self.iqn)
        if live is not None and live.in_use and not force:
            raise ISCSITargetRemoveFailed(
                self.volume_id, "target %s is in use by %d session(s); set force=true to remove it anyway"
                % (self.iqn, live.nexus))
        return text is not None or live is not None, live, text

    def apply_absent(self, live, text):
        users = [tgt_config.existing_chap(text)[0]] if text else []
        try:
            self.tgt.delete(live, force=True, accounts=[u for u in users if u])
        except VirtblockError as err:
            raise ISCSITargetRemoveFailed(self.volume_id, err.msg)
        files.remove(self.path)


def check_listening(tgt, listen_portals, portal_count):
    """Fail unless tgtd listens on every *listen_portals* (the storage side of the
    portals compute hosts are given under other addresses)."""
    if len(listen_portals) != portal_count:
        raise InvalidInput("listen_ip_addresses has %d address(es) for %d portal(s) (target_ip_address "
                           "and target_secondary_ip_addresses)" % (len(listen_portals), portal_count))
    have = tgt.portals()
    wildcard = set(p.rsplit(":", 1)[1] for p in have if p.rsplit(":", 1)[0] in ("0.0.0.0", "[::]", "::"))
    missing = [p for p in listen_portals if p not in have and p.rsplit(":", 1)[1] not in wildcard]
    if missing:
        raise InvalidInput("tgtd (control port %d) does not listen on %s (its portals: %s); start it "
                           "with --iscsi portal=<address>:<port> for each"
                           % (tgt.control_port, ", ".join(missing), ", ".join(have) or "none"))


INCLUDE_MARKER = "# Managed by virtblock.volumes: per-volume targets."


def ensure_include(include_file, volumes_dir, check_mode):
    """Make tgt's config include the volumes directory, as Cinder's deployment does
    (``include $state_path/volumes/*``), so targets come back when tgtd restarts.
    Returns True when the file changes."""
    if not include_file:
        return False
    want = "%s\ninclude %s/*\n" % (INCLUDE_MARKER, volumes_dir.rstrip("/"))
    current = files.read_text(include_file)
    if current == want:
        return False
    if current is not None and not current.startswith(INCLUDE_MARKER):
        # Only ever a file this collection wrote: never overwrite the operator's own.
        raise InvalidInput("tgt_include_file %s exists and was not written by virtblock.volumes "
                           "(its first line is not %r); choose another path" % (include_file, INCLUDE_MARKER))
    if os.path.lexists(include_file) and not os.path.isfile(include_file) or os.path.islink(include_file):
        raise InvalidInput("tgt_include_file %s is not a regular file" % include_file)
    if not check_mode:
        files.ensure_dir(os.path.dirname(include_file), mode=0o755)
        files.write_atomically(include_file, want, mode=0o644)
    return True
