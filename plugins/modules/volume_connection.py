#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: volume_connection
short_description: Connect a volume on the compute host, as Nova's _connect_volume
description:
  - Driven by Cinder's O(connection_info) (M(virtblock.volumes.iscsi_target)'s result).
  - C(iscsi) with O(iscsi_initiator=host) (Nova's default) calls os-brick's
    C(ISCSIConnector.connect_volume) (iscsiadm discovery and login) and returns the
    RV(connection_info) with C(data.device_path) added, as Nova stores it in the BDM.
    On a host without a kernel iSCSI initiator it fails, after os-brick's bounded
    retries, with a message naming the cause; os-brick removes the node record it made.
  - C(iscsi) with O(iscsi_initiator=qemu), C(rbd) and C(local) need nothing on the host;
    the module says so in RV(host_connection) and passes the data on.
  - V(disconnected) calls os-brick's C(disconnect_volume) when the device is there.
  - Secrets in O(connection_info) (the CHAP password) are masked in logs and in the
    result; pass the original C(connection_info) to
    M(virtblock.volumes.libvirt_disk_attach) when QEMU needs the password.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
options:
  connection_info:
    description: Cinder's C(connection_info).
    type: dict
  state:
    description: V(connected) or V(disconnected).
    type: str
    choices: [connected, disconnected]
    default: connected
  iscsi_initiator:
    description:
      - V(host) logs in with the kernel initiator (os-brick); V(qemu) leaves it to QEMU.
      - V(auto) decides on the compute host itself - V(host) where it has a kernel initiator
        (iscsiadm, and iscsi_tcp loaded or loadable), else V(qemu), which connects nothing and
        returns O(connection_info) unchanged. RV(iscsi_initiator) says which. Nova has one
        path per deployment; this lets one playbook serve hosts with and without.
    type: str
    choices: [host, qemu, auto]
    default: host
  use_multipath:
    description: Nova's C([libvirt] volume_use_multipath), passed to os-brick.
    type: bool
    default: false
  device_scan_attempts:
    description: Nova's C([libvirt] num_volume_scan_tries), os-brick's C(device_scan_attempts).
    type: int
    default: 5
  lock_path:
    description: os-brick's lock directory when E(OSLO_LOCK_PATH) is not set.
    type: path
    default: /var/lib/virtblock/locks
  volumes:
    description:
      - Several volumes' host connections in one run (os-brick imported once) (a batch).
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
  - Supports C(check_mode) and C(diff_mode) (the device path before and after).
requirements:
  - os-brick and open-iscsi (iscsiadm, a kernel with iscsi_tcp) for host iSCSI.
'''

EXAMPLES = r'''
- name: Log in to the volume's target on the compute host
  virtblock.volumes.volume_connection:
    connection_info: "{{ export.connection_info }}"
  register: connected

- name: Log out
  virtblock.volumes.volume_connection:
    connection_info: "{{ connected.connection_info }}"
    state: disconnected

- name: Connect two volumes in one run (a batch)
  virtblock.volumes.volume_connection:
    volumes:
      - connection_info: "{{ exports.volumes[0].connection_info }}"
      - connection_info: "{{ exports.volumes[1].connection_info }}"
    iscsi_initiator: auto
  register: connected
  no_log: true
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
connection_info:
  description: The input with C(data.device_path) set (host iSCSI, connected) or removed; secrets masked.
  returned: always
  type: dict
device_path:
  description: The host block device.
  returned: when connected on the host
  type: str
  sample: /dev/disk/by-path/ip-127.0.0.1:3260-iscsi-iqn.2010-10.org.openstack:volume-3b9f...-lun-1
host_connection:
  description: Whether the volume needs a host connection at all.
  returned: always
  type: bool
iscsi_initiator:
  description: The iSCSI path taken, V(host) or V(qemu) (O(iscsi_initiator=auto) decided on the host).
  returned: always
  type: str
  sample: qemu
  version_added: 0.3.0
msg:
  description: Why nothing was done on the host, when so.
  returned: when RV(host_connection) is false
  type: str
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.host_connection import (
    VOLUME_CONNECTION_SPEC, set_connection)


class VolumeConnectionModule(VirtblockModule):
    spec = VOLUME_CONNECTION_SPEC

    def run_one(self, params):
        result, before, after = set_connection(params, self.check_mode)
        if self.diff_mode and result["host_connection"]:
            result["diff"] = dict(before="%s\n" % (before or ""), after="%s\n" % (after or ""))
        return result


def main():
    VolumeConnectionModule()()


if __name__ == "__main__":
    main()
