# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""ansible-core's own module action, with the module's payload kept between runs.

meta/runtime.yml routes every module of ours without an action plugin of its own here
(``action_plugin``); the ones with their own (the template renderers) take the same
mixin. See plugin_utils/payload_cache.py for why and how.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.plugins.action.normal import ActionModule as NormalAction

from ansible_collections.virtblock.volumes.plugins.plugin_utils.payload_cache import PayloadCacheMixin


class ActionModule(PayloadCacheMixin, NormalAction):
    pass
