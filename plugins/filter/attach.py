# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Documented in libvirt_connection_info.yml beside this file.

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.host_connection import for_libvirt


def libvirt_connection_info(steps, volume=None):
    try:
        return for_libvirt(steps if isinstance(steps, (list, tuple)) else [steps], volume)
    except VirtblockError as err:
        raise AnsibleFilterError(err.msg)


class FilterModule(object):
    def filters(self):
        return {"libvirt_connection_info": libvirt_connection_info}
