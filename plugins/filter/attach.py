# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Documented in libvirt_connection_info.yml beside this file.

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.host_connection import for_libvirt


def libvirt_connection_info(export_info, host_connection=None):
    return for_libvirt(export_info, host_connection if isinstance(host_connection, dict) else None)


class FilterModule(object):
    def filters(self):
        return {"libvirt_connection_info": libvirt_connection_info}
