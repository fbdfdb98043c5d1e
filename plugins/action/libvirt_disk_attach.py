# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the volume's libvirt <disk> on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    default_template = "libvirt_disk.xml.j2"
    renders_xml = True
    module_name = "libvirt_disk_attach"
    rendered_option = "disk_xml"

    def needs_template(self, args):
        return args.get("state", "attached") == "attached"

    def template_vars(self, args):
        bus = args.get("disk_bus")
        dev = ""
        if args.get("device"):
            dev, bus = device_names.validate_requested(args["device"], bus)
        boot_index = args.get("boot_index")
        return disk_config.build(
            args.get("connection_info"), serial=validate_uuid(args.get("volume_id")),
            bus=bus or "virtio", dev=dev, iscsi_initiator=args.get("iscsi_initiator", "host"),
            boot_order=int(boot_index) + 1 if boot_index not in (None, "") else None,
            multiattach=args.get("multiattach"))
