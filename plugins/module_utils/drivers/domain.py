# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: a domain's life (Nova's libvirt driver ``spawn`` / ``power_off`` / ``destroy``).

Define from the XML the action plugin rendered, start, stop, or destroy and undefine with
the volume secrets no other domain uses. Modules get dicts; libvirt objects stay in the
adapter.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import domain_config
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import (
    LIBVIRT_ARGUMENT_SPEC, connected)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InstanceNotFound, InvalidInput)

__all__ = ["LIBVIRT_ARGUMENT_SPEC", "DOMAIN_SPEC", "set_domain"]


# libvirt_domain's options, defined once: the module and its action plugin (which validates
# a task's arguments on the controller before rendering) both use this.
DOMAIN_SPEC = dict(
    argument_spec=dict(
        LIBVIRT_ARGUMENT_SPEC,
        name=dict(type="str", required=True),
        uuid=dict(type="str", required=True),
        state=dict(type="str", choices=["defined", "running", "stopped", "absent"], default="running"),
        memory=dict(type="int"),
        vcpus=dict(type="int"),
        virt_type=dict(type="str", choices=list(domain_config.VIRT_TYPES), default="qemu"),
        machine=dict(type="str", default="q35"),
        kernel=dict(type="path"),
        initrd=dict(type="path"),
        cmdline=dict(type="str"),
        disks=dict(type="list", elements="dict", default=[]),
        networks=dict(type="list", elements="dict", default=[]),
        console_log=dict(type="path"),
        root_ports=dict(type="int", default=4),
        template=dict(type="path"),
        domain_xml=dict(type="str"),
    ),
    required_if=[("state", "defined", ["memory", "vcpus"]),
                 ("state", "running", ["memory", "vcpus"])],
)


def set_domain(params, uuid, check_mode):
    """Bring the domain *uuid* to ``params["state"]``; returns (before, after, result)."""
    p = params
    with connected(p["uri"]) as host:
        guest = host.find_domain(uuid)
        if guest is None:
            other = host.find_domain(name=p["name"])
            if other is not None and p["state"] != "absent":
                raise InvalidInput("a domain named %s already exists with uuid %s"
                                   % (p["name"], other.uuid))
        before = _describe(guest)
        result = dict(created=False, secrets_removed=[])
        if p["state"] == "absent":
            result["secrets_removed"] = _absent(host, guest, check_mode)
            after = {"defined": False, "running": False}
        elif p["state"] == "stopped":
            if guest is None:
                raise InstanceNotFound(uuid)
            if before["running"] and not check_mode:
                guest.destroy()
            after = {"defined": True, "running": False}
        else:
            if guest is None:
                guest = _define(host, p, uuid, check_mode)
                result["created"] = True
            want_running = p["state"] == "running" or before["running"]
            if want_running and not before["running"] and guest is not None and not check_mode:
                _start(guest, created=result["created"])
            after = {"defined": True, "running": want_running}
    return before, after, result


def _start(guest, created):
    """Start the domain; one this run defined is undefined again when it cannot start
    (Nova's spawn cleans up a guest it failed to launch), one that was there is kept."""
    try:
        guest.start()
    except Exception:
        if created:
            try:
                guest.undefine()
            except Exception:  # pylint: disable=broad-except
                pass  # report the start failure, not the cleanup's
        raise


def _describe(guest):
    if guest is None:
        return {"defined": False, "running": False}
    return {"defined": True, "running": guest.is_running()}


def _define(host, p, uuid, check_mode):
    xml = p["domain_xml"]
    if xml is None:
        raise InvalidInput("domain_xml is rendered by the libvirt_domain action plugin; "
                           "run the module through Ansible, not on its own")
    name, xml_uuid = domain_config.identity(xml)
    if name != p["name"] or xml_uuid != uuid:
        raise InvalidInput("the rendered domain must keep <name>%s</name> and <uuid>%s</uuid> "
                           "(it has %s, %s)" % (p["name"], uuid, name, xml_uuid))
    if check_mode:
        return None
    return host.define(xml)


def _absent(host, guest, check_mode):
    if guest is None:
        return []
    secrets = set()
    for live in ((True, False) if guest.is_running() else (False,)):
        for disk in disk_config.parse_disks(guest.xml(live)):
            secret = disk_config.secret_of(disk["xml"])
            # Nova drops a volume's iSCSI CHAP secret on disconnect; ceph secrets are shared.
            if secret and secret[0] == "iscsi" and secret[1]:
                secrets.add(secret[1])
    if check_mode:
        return sorted(secrets)
    guest.destroy()
    guest.undefine()
    return sorted(uuid for uuid in secrets if host.delete_unused_secret(uuid))
