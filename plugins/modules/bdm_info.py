#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: bdm_info
short_description: Read an instance's Nova block_device_mapping rows
description:
  - Nova's C(os-volume_attachments) views over the record store - the index (every volume
    attached to the instance) and, with O(volume_id), show (that one volume; C(No volume Block
    Device Mapping with id <id>.) when it is not attached) - plus the full rows.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.store
options:
  instance_uuid:
    description: The instance UUID.
    type: str
    required: true
  volume_id:
    description: Show this volume's attachment only.
    type: str
  must_exist:
    description:
      - With O(volume_id), fail when the instance has no live row for the volume (Nova's
        C(VolumeBDMNotFound), a 404), as by default; V(false) answers with RV(bdm) null
        instead (a detach rerun finds nothing to do).
    type: bool
    default: true
    version_added: 0.2.0
  include_deleted:
    description: Also return soft-deleted rows in RV(block_device_mappings) (never in the views).
    type: bool
    default: false
  volumes:
    description:
      - Several volumes' rows and attachments read in one transaction (a batch).
      - Each item's options override the task's for that volume; every other option is the
        task's. Mutually exclusive with the one-volume options it names.
      - Each volume succeeds or fails on its own - a failed volume leaves nothing half-done and
        does not stop the others; RV(volumes) has every volume's result and the task fails,
        with each failed volume's own message, when any failed.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      volume_id:
        description: O(volume_id) for this volume.
        type: str
        required: true
notes:
  - Supports C(check_mode); it changes nothing.
'''

EXAMPLES = r'''
- name: What does the VM have attached
  virtblock.volumes.bdm_info:
    instance_uuid: "{{ vm_uuid }}"
  register: attached

- name: The device name of one volume
  virtblock.volumes.bdm_info:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
  register: one

- name: Read two volumes' BDMs and attachments in one transaction (a batch)
  virtblock.volumes.bdm_info:
    instance_uuid: "{{ vm_uuid }}"
    volumes:
      - volume_id: "{{ first_volume }}"
      - volume_id: "{{ second_volume }}"
    must_exist: false
  register: records   # records.volumes[i].remove_export
'''

RETURN = r'''
volumes:
  description:
    - With O(volumes), each volume's result in the order given - the keys this module returns
      for one volume, with C(volume_id), C(changed), C(failed) and, when it failed, C(msg).
  returned: when O(volumes) is given
  type: list
  elements: dict
  version_added: 0.3.0
bdm:
  description: With O(volume_id), the instance's live row for the volume (C(connection_info) as a dict), or null.
  returned: when O(volume_id) is given
  type: dict
  version_added: 0.2.0
attachment:
  description: With O(volume_id), the volume's Cinder attachment of this instance, or null.
  returned: when O(volume_id) is given
  type: dict
  version_added: 0.2.0
export_in_use:
  description:
    - With O(volume_id), whether another instance's attachment still uses the volume (a
      multiattach volume keeps its one export until its last detach, as Cinder's
      C(remove_export) is called only then).
  returned: when O(volume_id) is given
  type: bool
  version_added: 0.2.0
disconnect:
  description:
    - With O(volume_id), whether a detach disconnects the volume from the compute host
      (os-brick C(disconnect_volume)) - Nova's C(_should_disconnect_target) - not while another
      attachment of a multiattach volume is on the same host (C(attached_host)), which uses the
      same host connection.
  returned: when O(volume_id) is given
  type: bool
  version_added: 0.2.0
remove_export:
  description:
    - With O(volume_id), whether a detach removes the volume's export (Cinder's
      C(remove_export)) - not while RV(export_in_use), never for an rbd volume (Cinder's RBD
      driver exports nothing).
  returned: when O(volume_id) is given
  type: bool
  version_added: 0.2.0
volumeAttachments:
  description: Nova's index view, one item per volume row.
  returned: always
  type: list
  elements: dict
  sample: [{id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2, volumeId: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2,
            serverId: 55888641-5569-4d50-a6c3-eeb8f6d51c34, device: /dev/vdb, tag: null,
            delete_on_termination: false, attachment_id: null, bdm_uuid: 0b3f4fca-30d6-4262-ac44-482a6eea7f14}]
volumeAttachment:
  description: Nova's show view.
  returned: when O(volume_id) is given
  type: dict
volume:
  description: The Cinder volume record (C(status), C(attach_status), ...), or V(null) if there is none.
  returned: when O(volume_id) is given
  type: dict
attachments:
  description:
    - The Cinder attachments of the volume (C(instance_uuid), C(attach_status), C(mountpoint)).
    - Without O(volume_id), this instance's attachments of the volumes its rows name, read in
      the same transaction (a boot rerun checks the whole instance from this one read).
  returned: always
  type: list
  elements: dict
block_device_mappings:
  description: The full rows (C(connection_info) as a dict, secrets never stored).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm import (
    attachment_view, remove_export)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VolumeBDMNotFound
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.multiattach import should_disconnect_target
from ansible_collections.virtblock.volumes.plugins.module_utils.record_module import RecordModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.records import BDM_INFO_SPEC


class BdmInfoModule(RecordModule):
    spec = BDM_INFO_SPEC

    def run_one(self, params):
        params = self.checked_params(params)
        return self.store().run(lambda tx: self.read(tx, params), dry_run=True)

    def run_batch(self, items):
        # every volume's rows in one read (one transaction, rolled back: nothing is written)
        return self.in_one_transaction(items, self.read, lambda batch: [], dry_run=True)

    def read(self, tx, params):
        instance, volume = params["instance_uuid"], params["volume_id"]
        rows = tx.bdm_rows(instance_uuid=instance, volume_id=volume,
                           include_deleted=params["include_deleted"])
        if volume:
            cinder = tx.volume_get(volume), tx.attachments(volume)
        else:
            mine = []
            for row in rows:
                if row["volume_id"] and not row["deleted"]:
                    mine += [a for a in tx.attachments(row["volume_id"]) if a["instance_uuid"] == instance]
            cinder = None, mine
        rows = [self.row_out(row) for row in rows]
        views = [attachment_view(row) for row in rows if row["volume_id"] and not row["deleted"]]
        result = dict(changed=False, volumeAttachments=views, block_device_mappings=rows,
                      attachments=cinder[1])
        if volume:
            if not views and params["must_exist"]:
                raise VolumeBDMNotFound(volume)
            result["volumeAttachment"] = views[0] if views else None
            # Cinder's side of the same attachment, so one read tells a detach all it needs.
            result["volume"], result["attachments"] = cinder
            live = [row for row in rows if row["volume_id"] and not row["deleted"]]
            result["bdm"] = live[0] if live else None
            mine = [a for a in cinder[1] if a["instance_uuid"] == instance]
            result["attachment"] = mine[0] if mine else None
            result["export_in_use"] = any(a["instance_uuid"] != instance for a in cinder[1])
            info = (result["bdm"] or {}).get("connection_info") or {}
            result["remove_export"] = remove_export(result["export_in_use"], info)
            volume_row = result["volume"] or {}
            result["disconnect"] = should_disconnect_target(
                bool(volume_row.get("multiattach") or info.get("multiattach")), cinder[1], instance,
                (result["attachment"] or {}).get("attached_host"))
        return result


def main():
    BdmInfoModule()()


if __name__ == "__main__":
    main()
