# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# The filters are documented in server_request.yml, instance_disks.yml, instance_uuid.yml
# and unfinished_disks.yml beside this file.

from ansible.errors import AnsibleFilterError

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.boot_state import (
    unfinished_disks as _unfinished_disks)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import (
    derived_instance_uuid, plan_disks, validate_request)


def _nova_error(err):
    return AnsibleFilterError("%s: %s" % (type(err).__name__, err.msg))


def server_request(request):
    try:
        return validate_request(request)
    except VirtblockError as err:
        raise _nova_error(err)


def instance_disks(server, existing_rows=None, instances_path="/var/lib/virtblock/instances",
                   images_dir="/var/lib/virtblock/images"):
    try:
        return plan_disks(server, existing_rows or [], instances_path=instances_path,
                          images_dir=images_dir)
    except VirtblockError as err:
        raise _nova_error(err)


def instance_uuid(name):
    """The uuid boot_from_volume gives a server booted without one."""
    try:
        return derived_instance_uuid(name)
    except VirtblockError as err:
        raise _nova_error(err)


def unfinished_disks(plan, rows, attachments, domain):
    """What a boot has still to do; empty when a rerun has nothing to change."""
    return _unfinished_disks(plan, rows or [], attachments or [], domain or {})


class FilterModule(object):
    def filters(self):
        return {"server_request": server_request, "instance_disks": instance_disks,
                "instance_uuid": instance_uuid, "unfinished_disks": unfinished_disks}
