# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the instance's libvirt <domain> on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import domain_config
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.domain import DOMAIN_SPEC
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    spec = DOMAIN_SPEC
    default_template = "libvirt_domain.xml.j2"
    renders_xml = True
    rendered_option = "domain_xml"

    def needs_template(self, params):
        return params["state"] in ("defined", "running")

    def template_vars(self, params):
        return {"domain": domain_config.build(
            params["name"], params["uuid"], params["memory"], params["vcpus"],
            virt_type=params["virt_type"], machine=params["machine"], kernel=params["kernel"],
            initrd=params["initrd"], cmdline=params["cmdline"], disks=params["disks"],
            networks=params["networks"], console_log=params["console_log"],
            root_ports=params["root_ports"])}
