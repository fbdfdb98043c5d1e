#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: volume_state
short_description: Cinder's volume and attachment states
description:
  - Keeps a Cinder-style volume record and its attachments in the record store and applies
    Cinder's rules to every change, with Cinder's messages.
  - O(state=present) makes sure the volume record exists (C(available) when new) with the
    given O(size), O(multiattach), O(readonly), O(bootable); O(state=absent) deletes it, which
    Cinder allows only from C(available) or an error status with no attachment in use (an
    attached volume gives Cinder's C(VolumeAttached), "detach volume first").
  - 'The other states are the wanted state of the attachment of O(instance_uuid) - V(reserved)
    and V(attaching) (Cinder''s C(attachment_create) / C(reserve_volume) - the volume must be
    C(available), or C(in-use) when multiattach; an in-use volume without multiattach gives
    C(Invalid volume: volume is already attached); a readonly volume refuses C(rw) with
    C(InvalidVolumeAttachMode) and leaves an V(error_attaching) attachment as Cinder''s
    C(attach_volume) does; another mode while attaching gives C(being attached by
    different mode)), V(attached) (C(in-use); from C(detaching) this is Cinder''s
    C(roll_detaching)), V(detaching) (C(begin_detaching), only from attached on an C(in-use)
    volume, so never in C(maintenance)), V(detached)
    (C(attachment_delete) / C(unreserve_volume) - the volume is C(available) again when the
    last attachment goes) and V(error_attaching) (a failed attach).'
  - V(extending), V(extended) and V(error_extending) are the steps of Cinder's C(extend_volume)
    to O(size) GiB - V(extending) (API C(_extend)) refuses a size not greater than the current
    one ("New size for extend must be greater than current size") and a volume neither
    C(available) nor C(in-use) (nor C(error_extending), which a rerun retries), and marks it
    C(extending); V(extended) sets the new size and puts the status back (C(in-use) or
    C(available)); V(error_extending) marks a failed extend. Added in 0.3.0.
  - The volume's C(status) follows its attachments as Cinder's
    C(_get_statuses_from_attachments) computes it - attachments in C(error_attaching) are
    ignored, then the first of C(attached) (shown C(in-use)), C(attaching), C(detaching),
    C(reserved), else C(available).
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.store
options:
  volume_id:
    description: The volume UUID.
    type: str
  state:
    description: The volume record (V(present), V(absent)) or the attachment's state (the others).
    type: str
    choices: [present, absent, reserved, attaching, attached, detaching, detached, error_attaching,
              extending, extended, error_extending]
    default: present
  instance_uuid:
    description: The instance of the attachment. Required for the attachment states.
    type: str
  attachment_id:
    description: The attachment UUID to create (generated when not given) or to expect.
    type: str
  attach_mode:
    description: C(rw) or C(ro).
    type: str
    choices: [rw, ro]
    default: rw
  host:
    description: The compute host (Cinder's C(attached_host)).
    type: str
  mountpoint:
    description: The device in the guest (Cinder's C(mountpoint)), e.g. C(/dev/vdb).
    type: str
  size:
    description: Size in GiB (O(state=present)); the new size for O(state=extending) and O(state=extended).
    type: int
  multiattach:
    description: Whether several instances may attach the volume at once (O(state=present)).
    type: bool
  readonly:
    description: Cinder's C(readonly) admin metadata (O(state=present)).
    type: bool
  bootable:
    description: Cinder's C(bootable) flag (O(state=present)).
    type: bool
  display_name:
    description: The volume's name (O(state=present)).
    type: str
  volumes:
    description:
      - Several volumes' attachments moved in one store transaction (a batch).
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
      attachment_id:
        description: O(attachment_id) for this volume.
        type: str
      attach_mode:
        description: O(attach_mode) for this volume.
        type: str
        choices: [rw, ro]
      mountpoint:
        description: O(mountpoint) for this volume.
        type: str
notes:
  - Supports C(check_mode) and C(diff_mode).
'''

EXAMPLES = r'''
- name: The volume exists, available
  virtblock.volumes.volume_state:
    volume_id: "{{ volume_id }}"
    size: 10

- name: Reserve it for the VM (Cinder attachment_create)
  virtblock.volumes.volume_state:
    volume_id: "{{ volume_id }}"
    instance_uuid: "{{ vm_uuid }}"
    state: reserved

- name: In use once libvirt has the disk
  virtblock.volumes.volume_state:
    volume_id: "{{ volume_id }}"
    instance_uuid: "{{ vm_uuid }}"
    state: attached
    host: "{{ inventory_hostname }}"
    mountpoint: "{{ reservation.device_name }}"

- name: Start an extend to 20 GiB (Cinder os-extend; the status is extending)
  virtblock.volumes.volume_state:
    volume_id: "{{ volume_id }}"
    state: extending
    size: 20

- name: Begin detaching two volumes in one transaction (a batch)
  virtblock.volumes.volume_state:
    volumes:
      - volume_id: "{{ first_volume }}"
      - volume_id: "{{ second_volume }}"
    instance_uuid: "{{ vm_uuid }}"
    state: detaching
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
volume:
  description: The volume record after the task (C(status), C(attach_status), ...).
  returned: always (null once absent)
  type: dict
  sample: {id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2, status: in-use, attach_status: attached,
           multiattach: false, readonly: false, size: 10}
attachments:
  description: The volume's live attachments after the task.
  returned: always
  type: list
  elements: dict
attachment:
  description: The attachment of O(instance_uuid) after the task, if any.
  returned: when O(instance_uuid) is given
  type: dict
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.record_module import RecordModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import records
from ansible_collections.virtblock.volumes.plugins.module_utils.batch import merged
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput


class VolumeStateModule(RecordModule):
    spec = records.VOLUME_STATE_SPEC

    def run_one(self, params):
        params = self.checked(params)
        changed, before, after = self.store().run(
            lambda tx: records.set_volume(tx, params), lock=records.volume_lock(params["volume_id"]),
            dry_run=self.check_mode)
        refused = after.pop("refused", None)
        if refused is not None:
            self.fail(str(refused), changed=changed, volume=after["volume"],
                      attachments=after["attachments"])
        return self.report(params, changed, before, after)

    def run_batch(self, items):
        # every volume's change in one transaction, each in its own savepoint
        for item in items:
            self.checked(merged(self.params, item))
        return self.in_one_transaction(items, self.change, lambda batch: sorted(
            set(records.volume_lock(p["volume_id"]) for p in batch)))

    def change(self, tx, params):
        params = self.checked(params)
        changed, before, after = records.set_volume(tx, params)
        refused = after.pop("refused", None)
        if refused is not None:
            # this volume fails, rolled back to its savepoint (the one-volume run keeps Cinder's
            # error_attaching attachment); the others go on
            raise refused
        return self.report(params, changed, before, after)

    def checked(self, params):
        params = self.checked_params(params)
        if params["size"] is not None and params["size"] < 1:
            raise InvalidInput("size must be at least 1 (GiB)")
        return params

    def report(self, params, changed, before, after):
        result = self.result(changed, before, after, volume=after["volume"],
                             attachments=after["attachments"])
        if params["instance_uuid"]:
            mine = [a for a in after["attachments"] if a["instance_uuid"] == params["instance_uuid"]]
            result["attachment"] = mine[0] if mine else None
        return result


def main():
    VolumeStateModule()()


if __name__ == "__main__":
    main()
