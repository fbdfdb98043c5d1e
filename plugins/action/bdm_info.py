# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""bdm_info's controller side: ansible-core's own module action, with the module's payload
kept between playbook runs (plugins/plugin_utils/payload_cache.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.plugin_utils.payload_cache import CachedModuleAction


class ActionModule(CachedModuleAction):
    pass
