#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: bdm_record
short_description: Keep a volume's Nova block_device_mapping row
description:
  - The row Nova keeps in its C(block_device_mapping) table for a volume attached to an
    instance, in the collection's record store.
  - 'O(state=reserved) is nova-api''s C(_check_volume_already_attached_to_instance) followed by
    nova-compute''s C(reserve_block_device_name) - the same volume on the same instance is
    refused with C(Invalid volume: volume <id> already attached); the device name is the first
    free one on the bus (C(vd) virtio, C(sd) scsi/usb/sata, C(hd) ide, ...) after the names in
    the instance''s rows and those the live domain reports (O(in_use_device_names)), gaps
    first, C(vdz) then C(vdaa) (no limit unless O(max_disk_devices_to_attach) is set, as Nova); ide
    takes 4. A requested O(device_name) is checked like Nova''s C(match_device)
    (C(InvalidDevicePath)) and refused when in use (C(DevicePathInUse)).'
  - O(state=present) saves O(connection_info), O(attachment_id) and the other fields (Nova's
    C(bdm.save()) after the attach); it creates the row first when there is none.
  - O(state=absent) soft-deletes the row as Nova does (C(deleted) = C(id), C(deleted_at)).
  - Unlike Nova, secrets in O(connection_info) (CHAP C(auth_password), ceph C(keyring), ...)
    are not stored; the keys dropped are listed in C(data.virtblock_secrets_removed). What a
    detach needs (target IQN, portal, LUN, user, libvirt C(secret_uuid)) is kept.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.store
options:
  instance_uuid:
    description: The instance (libvirt domain) UUID.
    type: str
    required: true
  volume_id:
    description:
      - The volume UUID. Leave it out for a local disk (O(destination_type=local)), whose row
        is then found by O(device_name), as Nova keeps rows for local disks too.
    type: str
  state:
    description: V(reserved), V(present) or V(absent), as above.
    type: str
    choices: [reserved, present, absent]
    default: present
  device_name:
    description: The device the operator asks for (C(/dev/vdc)), as Nova's attach API C(device).
    type: str
  disk_bus:
    description:
      - The disk bus; decides the device prefix. A new row without it gets C(virtio); a row
        that exists keeps its bus when it is not given (so the final save of a C(scsi) attach
        does not turn it to C(virtio)).
    type: str
    choices: [virtio, scsi, sata, usb, ide, xen, fdc, uml]
  device_type:
    description: Nova's C(device_type).
    type: str
    choices: [disk, cdrom, floppy, lun]
    default: disk
  in_use_device_names:
    description: Target devs the live domain reports (C(vda) or C(/dev/vda)), taken as in use.
    type: list
    elements: str
    default: []
  max_disk_devices_to_attach:
    description: Nova's C([compute] max_disk_devices_to_attach); below 0 means no limit (ide always takes 4).
    type: int
    default: -1
  already_attached:
    description:
      - What O(state=reserved) does when the volume already has a row with C(connection_info)
        on this instance - V(fail) as Nova does, or V(ok) (unchanged, the row returned).
    type: str
    choices: [fail, ok]
    default: fail
  connection_info:
    description:
      - Cinder's C(connection_info) for the attachment. Secrets in it are masked in the
        module's output and are not stored.
    type: dict
  attachment_id:
    description: Cinder attachment UUID.
    type: str
  boot_index:
    description: Nova's C(boot_index).
    type: int
  tag:
    description: Device tag (Nova's C(tag)).
    type: str
  delete_on_termination:
    description: Nova's C(delete_on_termination).
    type: bool
  volume_size:
    description: Volume size in GiB (MiB for a swap disk, as Nova).
    type: int
  source_type:
    description: Nova's C(source_type); V(volume) when not given on a new row.
    type: str
    choices: [volume, image, snapshot, blank]
  destination_type:
    description: Nova's C(destination_type); V(volume) when not given on a new row.
    type: str
    choices: [volume, local]
  guest_format:
    description: Nova's C(guest_format) (ext4, swap, ...).
    type: str
  image_id:
    description: Nova's C(image_id), for mappings made from an image.
    type: str
  snapshot_id:
    description: Nova's C(snapshot_id), for volumes made from a snapshot.
    type: str
  volume_type:
    description: Nova's C(volume_type).
    type: str
  volume_state:
    description:
      - Move the volume's Cinder attachment for this instance in the same transaction as the
        row, as one nova-api request does - V(reserved) with O(state=reserved) (check not
        attached, reserve the device name, reserve the volume with C(attachment_create); the row
        then carries the attachment's id), V(attached) with O(state=present) (the final save
        and C(attachment_complete), volume C(in-use), mountpoint the row's device name),
        V(detached) with O(state=absent) (C(attachment_delete), volume C(available) when no
        other attachment is left).
      - Needs O(volume_id). Left out, only the row changes (the volume as with
        M(virtblock.volumes.volume_state)).
    type: str
    choices: [reserved, attached, detached]
    version_added: 0.2.0
  attach_mode:
    description: The attachment's mode when O(volume_state) creates it.
    type: str
    choices: [rw, ro]
    default: rw
    version_added: 0.2.0
  host:
    description: The compute host recorded as the attachment's C(attached_host) (O(volume_state=attached)).
    type: str
    version_added: 0.2.0
  domain_serials:
    description:
      - With O(state=reserved), the serials of the domain's disks (M(virtblock.volumes.libvirt_domain_info)'s
        RV(virtblock.volumes.libvirt_domain_info#module:disks)). Given, a finished attach counts as
        complete (RV(attach_complete)) only while the volume's disk is among them.
    type: list
    elements: str
    version_added: 0.2.0
  volumes:
    description:
      - Several volumes' rows of the one instance in ONE store transaction (a batch).
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
      device_name:
        description: O(device_name) for this volume.
        type: str
      disk_bus:
        description: O(disk_bus) for this volume.
        type: str
        choices: [virtio, scsi, sata, usb, ide, xen, fdc, uml]
      connection_info:
        description: O(connection_info) for this volume.
        type: dict
      attachment_id:
        description: O(attachment_id) for this volume.
        type: str
      boot_index:
        description: O(boot_index) for this volume.
        type: int
      tag:
        description: O(tag) for this volume.
        type: str
      delete_on_termination:
        description: O(delete_on_termination) for this volume.
        type: bool
      attach_mode:
        description: O(attach_mode) for this volume.
        type: str
        choices: [rw, ro]
      volume_size:
        description: O(volume_size) for this volume.
        type: int
notes:
  - Supports C(check_mode) and C(diff_mode).
'''

EXAMPLES = r'''
- name: Reserve the next device name for the volume
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
    state: reserved
    in_use_device_names: "{{ live_disks }}"
  register: reservation

- name: Reserve the device name and the volume in one transaction (nova-api's attach request)
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
    state: reserved
    volume_state: reserved
    already_attached: ok
  register: reservation   # reservation.attach_complete: a finished attach found

- name: Save the BDM and mark the volume in-use in one transaction
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
    state: present
    volume_state: attached
    host: "{{ inventory_hostname }}"
    connection_info: "{{ export.connection_info }}"
  no_log: true

- name: Record the attachment once libvirt has it
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
    state: present
    attachment_id: "{{ attachment_id }}"
    connection_info: "{{ export.connection_info }}"
  no_log: true

- name: Forget it after the detach
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volume_id: "{{ volume_id }}"
    state: absent

- name: Reserve two volumes and their device names in one transaction (a batch)
  virtblock.volumes.bdm_record:
    instance_uuid: "{{ vm_uuid }}"
    volumes:
      - volume_id: "{{ first_volume }}"
      - volume_id: "{{ second_volume }}"
        device_name: /dev/vdd
    state: reserved
    volume_state: reserved
    already_attached: ok
  register: reservations   # reservations.volumes[i].device_name
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
device_name:
  description: The row's device name.
  returned: when the row exists after the task
  type: str
  sample: /dev/vdb
bdm:
  description: The whole row, C(connection_info) as a dict (secrets removed).
  returned: when the row exists after the task
  type: dict
volume_attachment:
  description: The row as Nova's C(os-volume_attachments) shows it.
  returned: when the row exists after the task
  type: dict
  sample: {id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2, volumeId: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2,
           serverId: 55888641-5569-4d50-a6c3-eeb8f6d51c34, device: /dev/vdb, tag: null,
           delete_on_termination: false, attachment_id: null, bdm_uuid: 0b3f4fca-30d6-4262-ac44-482a6eea7f14}
attach_complete:
  description: With O(state=reserved), whether the volume's attach to the instance had finished
    (row saved with C(connection_info), the instance's attachment C(attached)); then nothing changed.
  returned: when O(state=reserved) and O(volume_id) given
  type: bool
  version_added: 0.2.0
volume:
  description: The volume record after the task, as M(virtblock.volumes.volume_state) returns it.
  returned: when O(volume_state) is given, or O(state=reserved) with O(volume_id)
  type: dict
  version_added: 0.2.0
attachments:
  description: The volume's live attachments after the task.
  returned: when RV(volume) is
  type: list
  elements: dict
  version_added: 0.2.0
attachment:
  description: The attachment of O(instance_uuid) after the task, if any.
  returned: when RV(volume) is
  type: dict
  version_added: 0.2.0
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm import attachment_view
from ansible_collections.virtblock.volumes.plugins.module_utils.record_module import RecordModule
from ansible_collections.virtblock.volumes.plugins.module_utils.batch import merged
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import records


class BdmRecordModule(RecordModule):
    spec = records.BDM_RECORD_SPEC
    VOLUME_STATE_FOR = {"reserved": "reserved", "present": "attached", "absent": "detached"}

    def checked(self, params):
        params = self.checked_params(params)
        if params["volume_state"] not in (None, self.VOLUME_STATE_FOR[params["state"]]):
            raise InvalidInput("volume_state %s does not go with state %s (use %s)" % (
                params["volume_state"], params["state"], self.VOLUME_STATE_FOR[params["state"]]))
        if params["volume_state"] and not params.get("volume_id"):
            raise InvalidInput("missing parameter(s) required by 'volume_state': volume_id")
        return params

    def run_one(self, params):
        params = self.checked(params)
        out = self.store().run(lambda tx: records.bdm_with_volume(self.operation(params), tx, params),
                               lock=records.bdm_locks(params), dry_run=self.check_mode)
        return self.report(params, *out)

    def run_batch(self, items):
        # The volumes' rows in ONE transaction (nova-api takes them one request each); a
        # volume refused (already attached, readonly asked rw, ...) is rolled back to its
        # savepoint alone and the others are kept.
        base = self.checked(dict(self.params, volume_id=None, volume_state=None))
        for item in items:
            self.checked(merged(self.params, item))
        return self.in_one_transaction(
            items, lambda tx, params: self.report(params, *records.bdm_with_volume(
                self.operation(params), tx, self.checked(params))),
            lambda batch: records.batch_locks(base, batch))

    def operation(self, params):
        return {"reserved": records.reserve_bdm, "present": records.save_bdm,
                "absent": records.delete_bdm}[params["state"]]

    def report(self, params, changed, before, after, cinder):
        extra = {}
        if after is not None:
            after = self.row_out(after)
            extra = dict(bdm=after, device_name=after["device_name"],
                         volume_attachment=attachment_view(after))
        if cinder is not None:
            mine = [a for a in cinder["attachments"] if a["instance_uuid"] == params["instance_uuid"]]
            extra.update(volume=cinder["volume"], attachments=cinder["attachments"],
                         attachment=mine[0] if mine else None)
            if params["state"] == "reserved":
                extra["attach_complete"] = cinder["attach_complete"]
        return self.result(changed, self.row_out(before), after, **extra)


def main():
    BdmRecordModule()()


if __name__ == "__main__":
    main()
