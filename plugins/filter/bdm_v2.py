# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: block_device_mapping_v2
short_description: Validate and normalise a server's block_device_mapping_v2 as Nova does
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
description:
  - Takes the list as Nova's server create API takes it and applies the API schema,
    C(BlockDeviceDict.from_api) and the compute API's checks (the six source/destination
    pairs, boot indexes 0..n-1 without a gap, one swap at most, sizes, a blank mapping with a
    uuid refused, C(volume_type) with an existing volume refused, C(max_local_block_devices)).
  - When O(image_ref) is given and no mapping boots at index 0, the image is added as the
    local root disk (Nova's C(create_image_bdm)).
  - Returns the normalised mappings, boot order first, each with C(kind) - C(volume),
    C(snapshot), C(image), C(blank), C(local_image), C(swap) or C(ephemeral).
  - 'Fails with Nova''s error class and message, e.g. C(InvalidBDMBootSequence: Block Device
    Mapping is Invalid: Boot sequence for the instance and image/block device mapping
    combination is not valid.)'
  - Runs on the controller. Checks that need Cinder or Glance (the volume, snapshot or image
    exists) are not made here.
positional: image_ref, flavor
options:
  _input:
    description: The C(block_device_mapping_v2) list.
    type: list
    elements: dict
    required: true
  image_ref:
    description: The server's C(imageRef); empty for boot from volume.
    type: str
  flavor:
    description:
      - C(ephemeral_gb) and C(swap) (MiB) to check local disk sizes against; as Nova's API does,
        the flavor's ephemeral disk and swap are added as blank local mappings when the request
        has none.
    type: dict
  max_local_block_devices:
    description: Nova's C(max_local_block_devices); below 0 means no limit.
    type: int
    default: 3
'''

EXAMPLES = r'''
- name: Boot from a new 20 GiB volume made from an image
  ansible.builtin.set_fact:
    mappings: "{{ [{'boot_index': 0, 'uuid': image_id, 'source_type': 'image',
                    'destination_type': 'volume', 'volume_size': 20}]
                  | virtblock.volumes.block_device_mapping_v2 }}"
'''

RETURN = r'''
_value:
  description: The normalised mappings, each with C(kind).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm_v2 import validate_bdm_v2
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError


def block_device_mapping_v2(mappings, image_ref=None, flavor=None, max_local_block_devices=3):
    try:
        return validate_bdm_v2(mappings, image_ref=image_ref or None, flavor=flavor,
                               max_local_block_devices=max_local_block_devices)
    except VirtblockError as err:
        nova_class = type(err).__name__
        raise AnsibleFilterError("%s: %s" % (nova_class, err.msg))


class FilterModule(object):
    def filters(self):
        return {"block_device_mapping_v2": block_device_mapping_v2}
