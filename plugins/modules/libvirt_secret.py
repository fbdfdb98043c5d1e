#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_secret
short_description: Drop a volume's libvirt secret (iSCSI CHAP, or the collection's ceph secret) once no domain uses it
description:
  - M(virtblock.volumes.libvirt_disk_attach) keeps a QEMU-iSCSI volume's CHAP secret in a
    private libvirt secret (usage C(iscsi), id C(<target_iqn>/<target_lun>)) and deletes it
    when it detaches the disk. When the domain is already gone (a deleted or shelved
    instance) there is no disk to detach; this module removes the secret then, as Nova's
    C(disconnect_volume) does, unless another domain (live or config) still uses it.
  - Reads the target from O(connection_info) as the BDM stores it (no password needed).
    Volumes without CHAP, host-iSCSI and local volumes have nothing to remove.
  - An rbd volume's C(ceph) secret (usage C(client.<auth_username> secret)) is shared by every
    volume of that Ceph user; it goes only when no domain uses it and only if
    M(virtblock.volumes.libvirt_disk_attach) made it (a secret the deployer defined, Nova's
    C(rbd_secret_uuid), is kept - Nova never removes it).
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.libvirt
options:
  connection_info:
    description: Cinder's C(connection_info) of the volume, e.g. the BDM's.
    type: dict
  state:
    description: Only V(absent).
    type: str
    choices: [absent]
    default: absent
  volumes:
    description:
      - Several volumes' secrets in one run (a batch).
      - Each item's options override the task's for that volume; every other option is the
        task's. Mutually exclusive with the one-volume options it names.
      - Each volume succeeds or fails on its own - a failed volume leaves nothing half-done and
        does not stop the others; RV(volumes) has every volume's result and the task fails,
        with each failed volume's own message, when any failed.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      connection_info:
        description: O(connection_info) for this volume.
        type: dict
        required: true
      volume_id:
        description: The volume's UUID, naming the item in RV(volumes) (else C(connection_info.data.volume_id)).
        type: str
notes:
  - Supports C(check_mode).
requirements:
  - libvirt-python on the compute host, libvirtd running.
'''

EXAMPLES = r'''
- name: Forget the CHAP secret of a volume whose instance is gone
  virtblock.volumes.libvirt_secret:
    connection_info: "{{ bdm.connection_info }}"
    state: absent

- name: Drop two volumes' CHAP secrets in one run (a batch)
  virtblock.volumes.libvirt_secret:
    volumes:
      - connection_info: "{{ bdm_one.connection_info }}"
      - connection_info: "{{ bdm_two.connection_info }}"
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
secret_uuid:
  description: The secret that was (or would be) removed.
  returned: when one was found
  type: str
in_use:
  description: The secret was kept because a domain still uses it.
  returned: always
  type: bool
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.guest_disks import (
    SECRET_SPEC, remove_volume_secret)


class LibvirtSecretModule(VirtblockModule):
    spec = SECRET_SPEC

    def run_one(self, params):
        return remove_volume_secret(params["uri"], params["connection_info"], self.check_mode)


def main():
    LibvirtSecretModule()()


if __name__ == "__main__":
    main()
