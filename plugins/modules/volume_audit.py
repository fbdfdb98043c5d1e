#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: volume_audit
short_description: Compare the volume records with tgtd and libvirt, and repair the drift
description:
  - One part of the audit that C(playbooks/volume_audit.yml) runs on each host, as
    C(nova-manage volume_attachment show/refresh) does for one attachment, for every volume,
    attachment and block device mapping in the record store.
  - O(part=records) (where the store is reached) returns the records; given the other parts'
    O(compute) and O(storage) facts it returns the differences (RV(findings)), each with its
    C(kind) - C(export_without_attachment), C(attachment_without_export),
    C(disk_without_bdm), C(bdm_without_disk), C(secret_without_disk),
    C(volume_in_use_without_attachment), C(attachment_stuck) (attaching or detaching, or
    reserved while the instance has a domain - an attach killed between its steps),
    C(backing_store_missing), C(session_without_attachment) and
    C(attachment_without_session) (the compute host's kernel iSCSI sessions against its
    host-initiator BDMs) - its C(volume_id), C(instance_uuid), C(detail), the C(repair)
    Nova or Cinder would make and the C(actions) it takes, per part.
  - O(part=compute) (on the libvirt host) returns the store's domains (live and persistent
    disks by serial), the libvirt secrets and the kernel initiator's iSCSI sessions (null on
    a host without one, then not compared); O(part=storage) (on the tgtd host) the
    targets of O(target_prefix), their backing stores, and the target files; O(part=rbd)
    (where the Ceph client is) the images of O(rbd_pool) - an RBD volume's BDM whose image
    is gone is a C(backing_store_missing) finding.
  - With O(repair=true) and O(findings), a part carries out the actions it owns, in Nova's
    detach order - the compute host detaches disks without a BDM, drops unused CHAP
    secrets and logs out sessions no attachment uses (os-brick C(disconnect_volume)), the
    storage host removes exports no attachment uses (Cinder C(remove_export))
    and makes a lost target again from its file (C(ensure_export)), the records come last
    (a stuck attachment rolled back or completed, a BDM of a vanished domain destroyed, the
    volume status recomputed as Cinder does). Re-attaching a disk the BDM still lists is left
    to M(virtblock.volumes.libvirt_disk_attach) (the playbook does it), which renders the
    disk. In check mode the actions are reported with what they would change.
version_added: 0.2.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.store
  - virtblock.volumes.libvirt
  - virtblock.volumes.rbd
options:
  part:
    description: Which system this call looks at.
    type: str
    required: true
    choices: [records, compute, storage, rbd]
  records:
    description: The RV(facts) of O(part=records); O(part=compute) reads its instances.
    type: dict
  compute:
    description: The RV(facts) of O(part=compute), for O(part=records) to compare.
    type: dict
  storage:
    description: The RV(facts) of O(part=storage), for O(part=records) to compare.
    type: dict
  rbd:
    description:
      - The RV(facts) of O(part=rbd) (the pool's images), for O(part=records) to compare
        with the BDMs of RBD volumes.
    type: dict
    version_added: 0.3.0
  findings:
    description: The RV(findings) to repair (from O(part=records)).
    type: list
    elements: dict
  repair:
    description: Carry out this part's repair actions of O(findings).
    type: bool
    default: false
  control_port:
    description: tgtd control port (C(tgtd -C)).
    type: int
    default: 0
  volumes_dir:
    description: Directory of the per-volume target files, Cinder's C(volumes_dir).
    type: path
    default: /var/lib/virtblock/volumes
  target_prefix:
    description: IQN prefix of the collection's targets, Cinder's C(target_prefix).
    type: str
    default: "iqn.2010-10.org.openstack:"
  detach_timeout:
    description: Seconds to wait for each live detach attempt to be confirmed.
    type: int
    default: 20
  detach_attempts:
    description: Live detach attempts, as Nova's C(_detach_with_retry).
    type: int
    default: 8
notes:
  - Supports C(check_mode) (the repair plan) and C(diff_mode) is not used.
  - An LVM volume is compared through its target's backing store (the LV's device path).
  - Run it when no attach or detach runs - a reservation of an attach under way looks like
    one of a killed attach.
requirements:
  - libvirt-python on the compute host; tgtd on the storage host.
'''

EXAMPLES = r'''
- name: The records
  virtblock.volumes.volume_audit:
    part: records
  register: audit_records

- name: The compute host
  virtblock.volumes.volume_audit:
    part: compute
    records: "{{ audit_records.facts }}"
  register: audit_compute
'''

RETURN = r'''
facts:
  description: What this part saw (records, domains and secrets, or targets and files).
  returned: always
  type: dict
findings:
  description: The differences, sorted by kind, volume and instance (O(part=records) with facts).
  returned: when O(compute) and O(storage) are given
  type: list
  elements: dict
summary:
  description: The number of findings of every kind (zero included).
  returned: when O(compute) and O(storage) are given
  type: dict
credentials:
  description:
    - O(part=storage) with O(repair) - the CHAP pair of each volume whose disk is attached
      again through QEMU's initiator, read from its target file (Nova gets it again from
      Cinder's C(initialize_connection)). Register the task with C(no_log) and pass it on
      only to M(virtblock.volumes.libvirt_disk_attach).
  returned: O(part=storage) with O(repair)
  type: dict
repaired:
  description: The actions this part carried out (or would, in check mode), each with C(changed).
  returned: always
  type: list
  elements: dict
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import rbd as rbd_adapter
from ansible_collections.virtblock.volumes.plugins.module_utils.record_module import RecordModule
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import volume_audit as rules
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import volume_audit


class VolumeAuditModule(RecordModule):
    record_spec = volume_audit.VOLUME_AUDIT_SPEC

    def run(self):
        p = self.params
        actions = rules.actions_for(p["findings"] or [], p["part"]) if p["repair"] else []
        result = getattr(self, "_" + p["part"])(p, actions)
        result["changed"] = any(action["changed"] for action in result["repaired"])
        return result

    def _records(self, p, actions):
        def work(tx):
            facts = volume_audit.gather_records(tx)
            return facts, volume_audit.repair_records(tx, actions)
        facts, done = self.store().run(work, dry_run=self.check_mode)
        result = dict(facts=facts, repaired=[dict(a, changed=True) for a in done])
        if p["compute"] is not None and p["storage"] is not None:
            findings = rules.audit(facts, p["compute"], p["storage"], p["rbd"])
            result.update(findings=findings, summary=rules.summary(findings))
        return result

    def _compute(self, p, actions):
        instances = set(b["instance_uuid"] for b in (p["records"] or {}).get("bdms", []))
        instances.update(a["instance_uuid"] for a in (p["records"] or {}).get("attachments", []))
        facts = volume_audit.gather_compute(p["uri"], instances)
        done = volume_audit.repair_compute(p["uri"], actions, self.check_mode,
                                           p["detach_attempts"], p["detach_timeout"])
        return dict(facts=facts, repaired=done)

    def _rbd(self, p, actions):
        with rbd_adapter.from_params(self.module.run_command, p) as rbd:
            return dict(facts=volume_audit.gather_rbd(rbd), repaired=[])

    def _storage(self, p, actions):
        tgt = volume_audit.tgt_admin(p["control_port"])
        facts = volume_audit.gather_storage(tgt, p["volumes_dir"], p["target_prefix"])
        done = volume_audit.repair_storage(tgt, p["volumes_dir"], p["target_prefix"], actions,
                                           self.check_mode)
        result = dict(facts=facts, repaired=done)
        if p["repair"]:
            reattach = rules.actions_for(p["findings"] or [], "compute", ("reattach",))
            result["credentials"] = volume_audit.chap_credentials(
                p["volumes_dir"], [a["volume_id"] for a in reattach if a.get("chap")])
        return result


def main():
    VolumeAuditModule()()


if __name__ == "__main__":
    main()
