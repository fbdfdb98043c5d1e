# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The Ceph options, named as Cinder's RBD driver options (cinder.conf backend section).
    DOCUMENTATION = r'''
options:
  rbd_pool:
    description: The RADOS pool of the volumes (Cinder's C(rbd_pool)).
    type: str
    default: volumes
  rbd_ceph_conf:
    description: Path of the Ceph configuration file (Cinder's C(rbd_ceph_conf)). Default Ceph's own, C(/etc/ceph/<cluster>.conf).
    type: path
  rbd_mon_host:
    description:
      - Monitor addresses (C(ip), C(ip:port) or C([v2:ip:3300,v1:ip:6789])) to use instead of the
        conf file's C(mon host). They go into a private 0600 conf file, not onto a command line.
    type: list
    elements: str
  rbd_cluster_name:
    description: The name of the Ceph cluster (Cinder's C(rbd_cluster_name)).
    type: str
    default: ceph
  rbd_user:
    description: The cephx user, without C(client.) (Cinder's C(rbd_user)).
    type: str
    default: cinder
  rbd_keyring:
    description:
      - Path of the user's keyring file (Cinder's C(rbd_keyring_conf)). Default Ceph's search path
        (C(/etc/ceph/<cluster>.client.<user>.keyring), ...). Mutually exclusive with O(rbd_key).
    type: path
  rbd_key:
    description:
      - The user's cephx key itself (base64, as C(ceph auth print-key) prints it), e.g. from a vault;
        default the E(VIRTBLOCK_RBD_KEY) environment variable. It is written to a 0600 keyring in a
        private directory for the duration of the task and passed by path - never on a command line,
        in the environment of a command, a log or a result.
    type: str
  rados_connect_timeout:
    description:
      - Seconds a Ceph command waits for the monitors and OSDs before it fails (Cinder's
        C(rados_connect_timeout), applied as Cinder applies it). A monitor that does not answer
        fails the task after this long, with the monitors named.
    type: int
    default: 20
'''
