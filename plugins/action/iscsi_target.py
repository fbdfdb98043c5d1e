# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the tgt target stanza on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import target_iqn
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import ISCSI_TARGET_SPEC
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    spec = ISCSI_TARGET_SPEC
    default_template = "tgt_target.conf.j2"
    rendered_option = "target_config"

    def template_vars(self, params):
        return tgt_config.template_vars(
            iqn=target_iqn(params["target_prefix"], params["volume_id"]),
            backing_store=params["backing_store"], driver=params["iscsi_protocol"],
            use_chap_auth=params["use_chap_auth"], target_flags=params["target_flags"],
            write_cache=params["write_cache"], initiators=params["initiators"],
            initiator_addresses=params["initiator_addresses"])
