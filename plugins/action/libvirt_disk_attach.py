# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Renders the volume's libvirt <disk> on the controller, then runs the module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.guest_disks import DISK_ATTACH_SPEC
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import TemplateAction


class ActionModule(TemplateAction):
    spec = DISK_ATTACH_SPEC
    default_template = "libvirt_disk.xml.j2"
    renders_xml = True
    rendered_option = "disk_xml"

    def needs_template(self, params):
        return params["state"] == "attached"

    def template_vars(self, params):
        bus = params["disk_bus"]
        dev = ""
        if params["device"]:
            dev, bus = device_names.validate_requested(params["device"], bus)
        boot_index = params["boot_index"]
        return disk_config.build(
            disk_config.with_chap(params["connection_info"], params["chap_username"], params["chap_password"]), serial=validate_uuid(params["volume_id"]),
            bus=bus or "virtio", dev=dev, iscsi_initiator=params["iscsi_initiator"],
            boot_order=boot_index + 1 if boot_index is not None else None,
            multiattach=params["multiattach"])
