# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: server_request
short_description: Validate a Nova-style server create request, block_device_mapping_v2 included
version_added: 0.1.0
author: virtblock developers
description:
  - 'The keys this collection takes from Nova''s C(POST /servers) - C(name), C(memory) (MiB),
    C(vcpus), C(image) (imageRef), C(networks) (V(none) or a list of C({type: user})),
    C(block_device_mapping_v2) - plus C(uuid) (default derived from the name), C(disk_bus),
    C(flavor) (C(ephemeral_gb), C(swap) to check local disk sizes against),
    C(max_local_block_devices), and C(kernel), C(ramdisk), C(cmdline) for direct kernel boot.'
  - The mappings are checked with the rules of the M(virtblock.volumes.block_device_mapping_v2)
    filter; the result carries them normalised, boot order first, each with C(kind).
  - Fails with Nova's error class and wording, e.g. C(ValidationError - Invalid input for
    field/attribute memory. ...) or C(InvalidBDMBootSequence - ...).
  - Runs on the controller, before anything is created.
options:
  _input:
    description: The request.
    type: dict
    required: true
'''

EXAMPLES = r'''
- name: Validate the request
  ansible.builtin.set_fact:
    server: "{{ request | virtblock.volumes.server_request }}"
'''

RETURN = r'''
_value:
  description: The normalised request (C(uuid) filled in, C(networks) a list).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.server_request import (
    derived_instance_uuid, plan_disks, validate_request)


def _nova_error(err):
    return AnsibleFilterError("%s: %s" % (getattr(err, "nova_class", type(err).__name__), err.msg))


def server_request(request):
    try:
        return validate_request(request)
    except VirtblockError as err:
        raise _nova_error(err)


def instance_disks(server, existing_rows=None, instances_path="/var/lib/virtblock/instances",
                   images_dir="/var/lib/virtblock/images"):
    try:
        return plan_disks(server, existing_rows or [], instances_path=instances_path,
                          images_dir=images_dir)
    except VirtblockError as err:
        raise _nova_error(err)


def instance_uuid(name):
    """The uuid boot_from_volume gives a server booted without one."""
    try:
        return derived_instance_uuid(name)
    except VirtblockError as err:
        raise _nova_error(err)


class FilterModule(object):
    def filters(self):
        return {"server_request": server_request, "instance_disks": instance_disks,
                "instance_uuid": instance_uuid}
