#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: connector_info
short_description: The compute host's volume connector, as Nova's get_volume_connector
description:
  - os-brick's C(get_connector_properties) on the compute host, that is the iSCSI initiator name
    (from C(/etc/iscsi/initiatorname.iscsi)), ip, host, multipath, platform, os_type,
    do_local_attach (and NVMe-oF fields when the host has them).
  - This is what Nova passes to Cinder's C(initialize_connection); give it to
    M(virtblock.volumes.iscsi_target) as O(virtblock.volumes.iscsi_target#module:connector).
  - Runs os-brick's privileged calls in-process as root; no C(sudo) is needed.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
options:
  my_ip:
    description: The host's storage IP, Nova's C(my_ip). Default the address of the host's FQDN.
    type: str
  host:
    description: The host name in the connector, Nova's C(host). Default the host name.
    type: str
  multipath:
    description: Nova's C([libvirt] volume_use_multipath).
    type: bool
    default: false
  enforce_multipath:
    description: Nova's C([libvirt] volume_enforce_multipath).
    type: bool
    default: false
notes:
  - Reads only; never changes anything. Supports C(check_mode).
requirements:
  - os-brick on the compute host.
'''

EXAMPLES = r'''
- name: Read the compute host's connector
  virtblock.volumes.connector_info:
    my_ip: 127.0.0.3
  register: compute
'''

RETURN = r'''
connector:
  description: os-brick's connector properties.
  returned: always
  type: dict
  sample:
    platform: x86_64
    os_type: linux
    ip: 127.0.0.3
    host: compute1
    multipath: false
    enforce_multipath: false
    initiator: iqn.1993-08.org.debian:01:7271b05eba55
    do_local_attach: false
kernel_initiator:
  description: Whether the host can log in with the kernel iSCSI initiator (iscsiadm, and iscsi_tcp loaded or loadable).
  returned: always
  type: bool
multipathd:
  description: Whether multipathd answers (os-brick's C(is_multipath_running)); checked only with a kernel initiator.
  returned: always
  type: bool
iscsi_initiator:
  description:
    - The iSCSI path for this host, V(host) (os-brick, kernel initiator) where it has one, V(qemu) (QEMU's
      own initiator, nothing on the host) where it has not. The attach role uses it unless told which.
  returned: always
  type: str
  sample: host
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.host_connection import (
    CONNECTOR_INFO_SPEC, connector, host_paths)


class ConnectorInfoModule(VirtblockModule):
    spec = CONNECTOR_INFO_SPEC

    def run(self):
        p = self.params
        return dict(changed=False, connector=connector(p["my_ip"], p["multipath"],
                                                       p["enforce_multipath"], p["host"]),
                    **host_paths())


def main():
    ConnectorInfoModule()()


if __name__ == "__main__":
    main()
