#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: rbd_connection
short_description: Cinder's RBD initialize_connection - the connection_info of an RBD volume
description:
  - Runs where the Ceph client configuration is (the storage host). Returns the
    C(connection_info) Cinder's RBD driver C(initialize_connection) returns, with what Cinder's
    volume manager adds - C(driver_volume_type=rbd), C(data.name) C(<pool>/volume-<id>), the
    monitors C(hosts)/C(ports) read from the cluster's monmap (C(ceph mon dump), as Cinder's
    C(_get_mon_addrs)), C(cluster_name), C(auth_enabled), C(auth_username), C(secret_type=ceph),
    C(secret_uuid), C(volume_id), C(discard=true), C(keyring), C(qos_specs), C(access_mode) and
    C(encrypted).
  - RBD has no export (Cinder's C(create_export) is a no-op); the module checks the volume's
    image exists and changes nothing.
  - C(data.keyring) is None unless O(include_keyring) - Cinder sends the keyring file's text
    when C(rbd_keyring_conf) is set, for os-brick's RBD connector; libvirt does not read it (it
    uses the C(ceph) secret that M(virtblock.volumes.libvirt_disk_attach) keeps). M(virtblock.volumes.bdm_record)
    never stores it.
version_added: 0.2.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.rbd
options:
  volume_id:
    description: The volume's UUID (image C(volume-<id>) in O(rbd_pool)).
    type: str
    required: true
  rbd_secret_uuid:
    description:
      - The libvirt secret uuid of the O(rbd_user) key on the compute hosts (Cinder's C(rbd_secret_uuid)).
        Default none - M(virtblock.volumes.libvirt_disk_attach) then finds or makes the secret by its usage name.
    type: str
  access_mode:
    description: C(rw) or C(ro) (Cinder's C(attached_mode)).
    type: str
    choices: [rw, ro]
    default: rw
  qos_specs:
    description:
      - The volume type's QoS spec, put in RV(connection_info) as Cinder's volume manager
        does - only for C(consumer) V(front-end) or V(both) (V(front-end) when absent), with
        C(<option>_per_gb) scaled by the image's size in whole GiB (rounded up) - the same
        rules as O(virtblock.volumes.iscsi_target#module:qos_specs).
    type: dict
  encrypted:
    description: Whether the volume has an encryption key.
    type: bool
    default: false
  include_keyring:
    description:
      - Put the O(rbd_keyring) file's text (or a keyring made from O(rbd_key)) in C(data.keyring),
        as Cinder does with C(rbd_keyring_conf). The result then holds the key - register it with
        C(no_log).
    type: bool
    default: false
notes:
  - Supports C(check_mode) (the same read) and C(diff_mode) (nothing changes).
requirements:
  - The C(rbd) and C(ceph) commands (Debian C(ceph-common)).
'''

EXAMPLES = r'''
- name: Initialize the connection of an RBD volume (cinder initialize_connection)
  virtblock.volumes.rbd_connection:
    volume_id: 56494430-5460-4582-a3d0-e22cb4ef0cd2
    rbd_user: cinder
    rbd_keyring: /etc/ceph/ceph.client.cinder.keyring
    rbd_secret_uuid: 817cf80b-d3c5-47b2-9a70-aa578e539107
  register: export
'''

RETURN = r'''
connection_info:
  description: Cinder's C(connection_info) for the volume.
  returned: success
  type: dict
  sample:
    driver_volume_type: rbd
    data:
      name: volumes/volume-56494430-5460-4582-a3d0-e22cb4ef0cd2
      hosts: [10.101.24.27, 10.101.24.28, 10.101.24.29]
      ports: ["6789", "6789", "6789"]
      cluster_name: ceph
      auth_enabled: true
      auth_username: cinder
      secret_type: ceph
      secret_uuid: 817cf80b-d3c5-47b2-9a70-aa578e539107
      volume_id: 56494430-5460-4582-a3d0-e22cb4ef0cd2
      discard: true
      keyring: null
      qos_specs: null
      access_mode: rw
      encrypted: false
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import rbd as rbd_adapter
from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VolumeNotFound
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import qos
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.connection_info import rbd_connection_info
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import (
    validate_uuid, volume_name)


class RbdConnectionModule(VirtblockModule):
    spec = rbd_adapter.RBD_CONNECTION_SPEC

    def run(self):
        p = self.params
        volume_id = validate_uuid(p["volume_id"])
        if p["rbd_secret_uuid"]:
            validate_uuid(p["rbd_secret_uuid"], what="rbd_secret_uuid")
        with rbd_adapter.from_params(self.module.run_command, p) as rbd:
            rbd.check_pool()
            image = rbd.info(volume_name(volume_id))
            if image is None:
                raise VolumeNotFound(volume_id)
            hosts, ports = rbd.mon_addrs()
            keyring = rbd.keyring_text() if p["include_keyring"] else None
        info = rbd_connection_info(p["rbd_pool"], volume_id, hosts, ports, user=p["rbd_user"],
                                   cluster_name=p["rbd_cluster_name"], secret_uuid=p["rbd_secret_uuid"],
                                   keyring=keyring, access_mode=p["access_mode"],
                                   qos_specs=qos.front_end_specs(p["qos_specs"], qos.size_gib(image["size"])),
                                   encrypted=p["encrypted"])
        return dict(changed=False, connection_info=info)


def main():
    RbdConnectionModule()()


if __name__ == "__main__":
    main()
