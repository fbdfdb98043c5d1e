# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the tgt target stanza on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import target_iqn
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    default_template = "tgt_target.conf.j2"
    module_name = "iscsi_target"
    rendered_option = "target_config"

    def template_vars(self, args):
        return tgt_config.template_vars(
            iqn=target_iqn(args.get("target_prefix", "iqn.2010-10.org.openstack:"), args.get("volume_id")),
            backing_store=args.get("backing_store"),
            driver=args.get("iscsi_protocol", "iscsi"),
            use_chap_auth=boolean(args.get("use_chap_auth", True)),
            target_flags=args.get("target_flags"),
            write_cache=boolean(args.get("write_cache", True)),
            initiators=args.get("initiators") or [],
            initiator_addresses=args.get("initiator_addresses") or [],
        )
