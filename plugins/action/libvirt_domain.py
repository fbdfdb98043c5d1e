# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the instance's libvirt <domain> on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import domain_config
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    default_template = "libvirt_domain.xml.j2"
    renders_xml = True
    module_name = "libvirt_domain"
    rendered_option = "domain_xml"

    def needs_template(self, args):
        return args.get("state", "running") in ("defined", "running")

    def template_vars(self, args):
        return {"domain": domain_config.build(
            args.get("name"), args.get("uuid"), args.get("memory"), args.get("vcpus"),
            virt_type=args.get("virt_type", "qemu"), machine=args.get("machine", "q35"),
            kernel=args.get("kernel"), initrd=args.get("initrd"), cmdline=args.get("cmdline"),
            disks=args.get("disks"), networks=args.get("networks"),
            console_log=args.get("console_log"), root_ports=args.get("root_ports", 4))}
