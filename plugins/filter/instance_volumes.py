# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: instance_volumes_plan
short_description: Which volumes to attach and detach so an instance has exactly the ones listed
version_added: 0.3.0
author: virtblock developers (!UNKNOWN)
description:
  - The plan of the P(virtblock.volumes.instance_volumes#role) role, KubeVirt's declarative
    hot-plug for Nova's volume attachments.
  - C(attach) - the listed volumes with no BDM, whose attach did not finish, or whose disk is
    missing from the domain. With no domain (shelved offloaded) a reserved BDM is kept.
  - C(detach) - the volume BDMs of the instance the list does not name. A disk without a BDM
    is left to the audit; the root volume (boot index 0) is never detached (Nova's API refuses
    it) and is returned in C(root_kept).
  - C(differs) - a listed volume attached under another device name or bus than asked.
    It is reported, not moved (Nova has no call that moves an attached volume).
  - Runs on the controller, no I/O.
positional: bdms, domain
options:
  _input:
    description:
      - The volumes the instance should have - volume ids, or dicts with C(volume_id) and
        optionally C(device_name), C(disk_bus), C(attach_mode), C(boot_index),
        C(delete_on_termination).
    type: list
    elements: raw
    required: true
  bdms:
    description: The instance's BDM rows (M(virtblock.volumes.bdm_info) C(block_device_mappings)).
    type: list
    elements: dict
    required: true
  domain:
    description: The M(virtblock.volumes.libvirt_domain_info) result for the instance.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Plan
  ansible.builtin.set_fact:
    plan: "{{ wanted | virtblock.volumes.instance_volumes_plan(rows.block_device_mappings, domain) }}"
'''

RETURN = r'''
_value:
  description: C(attach) (the listed items), C(detach), C(keep), C(root_kept) (volume ids), C(differs), C(changes) (a count).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.instance_volumes import plan


def instance_volumes_plan(wanted, bdms, domain):
    try:
        return plan(wanted, bdms, domain)
    except VirtblockError as err:
        raise AnsibleFilterError(err.msg)


class FilterModule(object):
    def filters(self):
        return {"instance_volumes_plan": instance_volumes_plan}
