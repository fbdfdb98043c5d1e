# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's rules for a volume's block_device_mapping row. Pure functions, no I/O.

- ``check_not_attached``: nova-api's ``_check_volume_already_attached_to_instance``.
- ``attach_complete``: the attach finished on both sides (BDM saved, attachment attached).
- ``stored_connection_info``: what of ``connection_info`` goes into the row.
- ``attachment_view``: the ``os-volume_attachments`` index/show item
  (``_translate_attachment_detail_view``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidVolume
from ansible_collections.virtblock.volumes.plugins.module_utils.secrets import SECRET_KEYS

# Keys in connection_info["data"] that are secrets. Nova stores connection_info as Cinder
# returned it, CHAP secret and ceph keyring included, in the clear. We do NOT: these keys are
# dropped before the row is written. A detach needs none of them: os-brick's
# disconnect_volume works from the target IQN, portal and LUN; an RBD network disk is detached
# by its target dev, and its key lives in the libvirt secret named by ``secret_uuid``, which
# is kept. The names of the dropped keys are recorded in ``data.virtblock_secrets_removed`` so
# that a reader (and a re-attach) knows to fetch them again from the storage side.
# The keys are the collection's one list, secrets.SECRET_KEYS.
STRIPPED_MARK = "virtblock_secrets_removed"
CHAP_USER_KEYS = ("auth_username", "discovery_auth_username")


def check_not_attached(volume_id, existing_rows):
    """Raise Nova's InvalidVolume when *existing_rows* (the instance's live rows for this
    volume) is not empty."""
    if existing_rows:
        raise InvalidVolume("volume %s already attached" % volume_id)


def attach_complete(row, attachments, instance_uuid, domain_serials=None):
    """Whether an attach of the row's volume to *instance_uuid* finished: Nova saved the
    BDM with its connection_info, Cinder's attachment of that instance is ``attached``
    and, when the domain's disk serials are given, the volume's disk is still among them
    (so a rerun stops after one read, and a disk removed by hand is put back)."""
    return bool(row and row.get("connection_info") and any(
        a["instance_uuid"] == instance_uuid and a["attach_status"] == "attached"
        for a in attachments or []) and (
            domain_serials is None or row.get("volume_id") in domain_serials))


def remove_export(export_in_use, connection_info):
    """Whether a detach calls Cinder's ``remove_export``: not while another instance's
    attachment uses the volume (multiattach keeps its one target), and never for rbd
    (Cinder's RBD driver exports nothing)."""
    return not export_in_use and (connection_info or {}).get("driver_volume_type") != "rbd"


def _strip(mapping, removed, path):
    for key in list(mapping):
        value = mapping[key]
        if key in SECRET_KEYS:
            if value not in (None, ""):
                removed.append(path + key)
            del mapping[key]
        elif isinstance(value, dict):
            _strip(value, removed, path + key + ".")


def stored_connection_info(connection_info):
    """Return the JSON text to store for *connection_info* (a dict, a JSON text or None),
    with every secret removed, and the list of removed keys."""
    if connection_info in (None, ""):
        return None, []
    if isinstance(connection_info, str):
        connection_info = json.loads(connection_info)
    info = copy.deepcopy(connection_info)
    removed = []
    _strip(info, removed, "")
    data = info.get("data") if isinstance(info, dict) else None
    if isinstance(data, dict) and info.get("driver_volume_type") in ("iscsi", "iser"):
        # The CHAP user is half of the credentials and a detach needs it no more than the
        # password (the rbd user names the ceph secret, it stays).
        for key in CHAP_USER_KEYS:
            if data.get(key) not in (None, ""):
                removed.append("data." + key)
            data.pop(key, None)
    data = info.get("data")
    if removed and isinstance(data, dict):
        data[STRIPPED_MARK] = sorted(removed)
    elif removed:
        info[STRIPPED_MARK] = sorted(removed)
    return json.dumps(info, sort_keys=True), removed


def attachment_view(row):
    """One ``volumeAttachment`` as Nova's API shows it (2.70 tag, 2.79
    delete_on_termination, 2.89 attachment_id and bdm_uuid)."""
    return {
        "id": row["volume_id"],
        "volumeId": row["volume_id"],
        "serverId": row["instance_uuid"],
        "device": row["device_name"],
        "tag": row["tag"],
        "delete_on_termination": bool(row["delete_on_termination"]),
        "attachment_id": row["attachment_id"],
        "bdm_uuid": row["uuid"],
    }
