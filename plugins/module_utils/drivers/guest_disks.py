# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Driver: a guest's disks (Nova's libvirt driver ``attach_volume`` / ``detach_volume``).

The disk rules (``rules/disk_config``, ``rules/device_names``) carried out through the
libvirt adapter: hot-plug a volume's ``<disk>`` live and persistent with its secret,
detach it and confirm the removal, list a domain's disks, drop a volume's CHAP secret.
Modules get dicts and XML strings; libvirt objects stay in the adapter.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.basic import env_fallback

from ansible_collections.virtblock.volumes.plugins.module_utils.batch import item_option
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_names
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import (
    LIBVIRT_ARGUMENT_SPEC, connected)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InstanceNotFound, InvalidInput, VolumeAttachFailed)

__all__ = ["LIBVIRT_ARGUMENT_SPEC", "DISK_ATTACH_SPEC", "domain_info", "set_disk", "one_host",
           "remove_volume_secret"]


# libvirt_disk_attach's options, defined once: the module and its action plugin (which validates
# a task's arguments on the controller before rendering) both use this.
DISK_ATTACH_SPEC = dict(
    argument_spec=dict(
        LIBVIRT_ARGUMENT_SPEC,
        domain=dict(type="str", required=True),
        volume_id=dict(type="str"),
        state=dict(type="str", choices=["attached", "detached"], default="attached"),
        connection_info=dict(type="dict"),
        device=dict(type="str"),
        disk_bus=dict(type="str", choices=["virtio", "scsi", "sata", "usb", "ide"]),
        iscsi_initiator=dict(type="str", choices=["host", "qemu", "auto"], default="host"),
        # The fixed CHAP pair the export was given (iscsi_target's chap_username/chap_password,
        # the same AWX credential): the export's result masks it (rules/disk_config.with_chap).
        chap_username=dict(type="str", fallback=(env_fallback, ["VIRTBLOCK_CHAP_USERNAME"])),
        chap_password=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_CHAP_PASSWORD"])),
        multiattach=dict(type="bool"),
        boot_index=dict(type="int"),
        rbd_key=dict(type="str", no_log=True, fallback=(env_fallback, ["VIRTBLOCK_RBD_KEY"])),
        # An encrypted volume's LUKS passphrase (the storage host's key file, or the caller's)
        encryption_passphrase=dict(type="str", no_log=True),
        detach_timeout=dict(type="float", default=20),
        detach_attempts=dict(type="int", default=8),
        template=dict(type="path"),
        disk_xml=dict(type="str"),
    ),
    required_if=[("state", "attached", ["connection_info", "volumes"], True)],
    required_one_of=[("volume_id", "volumes")],
    mutually_exclusive=[("volume_id", "volumes"), ("connection_info", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' disks on the one domain in one run,
# one libvirt connection, one attachDeviceFlags (or detach) per disk; each item's
# options override the task's.
DISK_ATTACH_SPEC["argument_spec"]["volumes"] = item_option(
    DISK_ATTACH_SPEC, ("volume_id", "connection_info", "device", "disk_bus", "multiattach", "boot_index",
                       "disk_xml"), required=("volume_id",))

SECRET_DESCRIPTION = "virtblock volume "


def domain_info(uri, domain):
    """What ``libvirt_domain_info`` reports: the domain's disks, persistent and live."""
    with connected(uri) as host:
        try:
            guest = host.domain(domain)
        except InstanceNotFound:
            return dict(exists=False, running=False, device_names=[], disks=[])
        running = guest.is_running()
        disks = disk_config.parse_disks(guest.xml(False))
        if running:
            disks += disk_config.parse_disks(guest.xml(True))
    by_dev = {}
    for disk in disks:
        if disk["dev"]:
            by_dev.setdefault(disk["dev"], dict(dev=disk["dev"], bus=disk["bus"], serial=disk["serial"]))
    return dict(exists=True, running=running, uuid=guest.uuid, name=guest.name,
                device_names=sorted(by_dev), disks=[by_dev[dev] for dev in sorted(by_dev)])


def one_host(uri):
    """The libvirt connection a batch's disks share (``with one_host(uri) as host``)."""
    return connected(uri)


def set_disk(params, serial, check_mode, host=None):
    """Attach (``state=attached``) or detach the volume *serial* on ``params["domain"]``.

    Returns ``(changed, before_xml, after_xml, disk, extra)``: *disk* the description of
    the disk concerned (None when there is none), *extra* more result keys. *host*: an
    open ``LibvirtHost`` to use (a batch's one connection), else one is opened."""
    if host is None:
        with connected(params["uri"]) as opened:
            return set_disk(params, serial, check_mode, opened)
    guest = host.domain(params["domain"])
    running = guest.is_running()
    # Read per volume: a batch's earlier disks are in it, so device names never collide.
    config = disk_config.parse_disks(guest.xml(False))
    live = disk_config.parse_disks(guest.xml(True)) if running else []
    if params["state"] == "attached":
        out = _attach(host, guest, params, serial, running, config, live, check_mode)
    else:
        out = _detach(host, guest, params, serial, config, live, check_mode)
    out[4]["live"] = running
    return out


def _attach(host, guest, p, serial, running, config, live, check_mode):
    # .get: drivers are called without the module too (volume_audit, tests)
    p["connection_info"] = disk_config.with_chap(p["connection_info"], p.get("chap_username"), p.get("chap_password"))
    kind, data = disk_config.validate(p["connection_info"], p["iscsi_initiator"])
    if p["disk_xml"] is None:
        raise InvalidInput("disk_xml is rendered by the libvirt_disk_attach action plugin; "
                           "run the module through Ansible, not on its own")
    in_config = disk_config.find_serial(config, serial)
    in_live = disk_config.find_serial(live, serial)
    dev, _bus = device_names.choose(p["device"], disk_config.rendered_bus(p["disk_xml"]),
                                    config + live, serial)
    source = data.get("device_path") if kind in ("local", "iscsi_host") else None
    usage = disk_config.secret_usage(kind, data)
    secret_value = None
    secret_uuid = None
    if usage:
        secret_value = data.get("auth_password") if usage[0] == "iscsi" else p["rbd_key"]
        secret_uuid = host.find_secret(*usage)
        if secret_value:
            secret_value = disk_config.secret_value(usage[0], secret_value)
        elif secret_uuid is None:
            raise InvalidInput("no libvirt %s secret '%s' on the host: give rbd_key (the cephx key) "
                               "so the module can keep one" % usage)
    encryption = disk_config.encryption_secret_usage(data, serial)
    passphrase = p.get("encryption_passphrase")
    encryption_uuid = host.find_secret(*encryption) if encryption else None
    if encryption and not passphrase and encryption_uuid is None:
        # Nova skips the key manager only when the host already has the volume's secret
        raise InvalidInput("volume %s is encrypted: give encryption_passphrase (the attach role "
                           "reads it from the storage host's key file)" % serial)
    xml, desc = disk_config.finalize(
        p["disk_xml"], dev, serial,
        direct_io=files.supports_direct_io(source) if source else True,
        secret=secret_uuid,
        source_is_file=bool(kind == "local" and source and os.path.isfile(source)),
        encryption_secret=encryption_uuid)
    current = in_config or in_live
    if current and current["source"] != desc["source"]:
        raise VolumeAttachFailed(serial, "it is attached at /dev/%s with another source; "
                                 "detach it first" % current["dev"])
    need_config = in_config is None
    need_live = running and in_live is None
    created = False
    if usage and secret_value:
        secret_uuid, created = host.ensure_secret(
            usage[0], usage[1], disk_config.secret_of(xml)[1], secret_value,
            "%s%s" % (SECRET_DESCRIPTION, serial if usage[0] == "iscsi" else usage[1]),
            dry_run=check_mode)
    encryption_created = False
    if encryption and passphrase and (need_config or need_live):
        # Nova's Host.create_secret('volume', volume_id, password=...): ephemeral and
        # private both False. The value goes through secretSetValue only.
        encryption_uuid, encryption_created = host.ensure_secret(
            encryption[0], encryption[1], disk_config.encryption_secret_of(xml), passphrase,
            "%s%s" % (SECRET_DESCRIPTION, serial), dry_run=check_mode, private=False)
    if (need_config or need_live) and not check_mode:
        try:
            guest.attach(xml, live=need_live, config=need_config)
        except Exception:
            # a wrong passphrase fails here (QEMU cannot unlock a key slot): nothing stays
            if created:
                host.delete_secret(*usage)
            if encryption_created:
                host.delete_secret(*encryption)
            raise
    before = current["xml"] if current else ""
    after = xml if (need_config or need_live) else before
    return (need_config or need_live or created or encryption_created, before, after,
            desc if not current else current, dict(secret_uuid=secret_uuid))


def _detach(host, guest, p, serial, config, live, check_mode):
    in_config = disk_config.find_serial(config, serial)
    in_live = disk_config.find_serial(live, serial)
    current = in_config or in_live
    if current is None:
        return False, "", "", None, {}
    if not check_mode:
        if in_config:
            guest.detach_config(in_config["xml"])
        if in_live:
            guest.detach_live(
                in_live["xml"],
                lambda xml: disk_config.find_serial(disk_config.parse_disks(xml), serial) is not None,
                in_live["dev"], p["detach_attempts"], p["detach_timeout"])
        secret = disk_config.secret_of(current["xml"])
        # Nova drops the iSCSI CHAP secret on disconnect. It never drops a ceph secret (the
        # deployer defines it once per compute host); we drop the one this collection made,
        # once no disk of any domain points at it, and keep a deployer's.
        if secret and secret[0] == "iscsi":
            host.delete_unused_secret(secret[1])
        elif secret and secret[0] == "ceph":
            host.delete_unused_secret(secret[1], description_prefix=SECRET_DESCRIPTION)
        encryption = disk_config.encryption_secret_of(current["xml"])
        if encryption:
            # Nova's _detach_encryptor: delete_secret('volume', volume_id)
            host.delete_unused_secret(encryption)
    return True, current["xml"], "", current, {}


def remove_volume_secret(uri, connection_info, check_mode):
    """``libvirt_secret`` state=absent: drop the volume's iSCSI secret (or the ceph secret
    this collection made) unless a domain uses it."""
    data = connection_info.get("data") or {}
    dvt = connection_info.get("driver_volume_type")
    usage, prefix = None, None
    if dvt == "iscsi" and data.get("target_iqn"):
        usage = disk_config.secret_usage("iscsi_qemu", data)
    elif dvt == "rbd" and data.get("auth_username"):
        # only the ceph secret this collection made (see _detach), never a deployer's
        usage, prefix = disk_config.secret_usage("rbd", data), SECRET_DESCRIPTION
    if usage is None:
        return dict(changed=False, in_use=False)
    with connected(uri) as host:
        uuid = host.find_secret(*usage)
        if uuid is None:
            return dict(changed=False, in_use=False)
        if host.secret_in_use(uuid):
            return dict(changed=False, in_use=True, secret_uuid=uuid)
        if prefix and not host.secret_described(uuid, prefix):
            return dict(changed=False, in_use=False, secret_uuid=uuid)
        if not check_mode:
            host.delete_unused_secret(uuid)
        return dict(changed=True, in_use=False, secret_uuid=uuid)


# libvirt_domain_info's options, defined once (the module takes them from here).
DOMAIN_INFO_SPEC = dict(
    argument_spec=dict(
        LIBVIRT_ARGUMENT_SPEC,
        domain=dict(type="str", required=True),
    ),
)


# libvirt_secret's options, defined once (the module takes them from here).
SECRET_SPEC = dict(
    argument_spec=dict(
        LIBVIRT_ARGUMENT_SPEC,
        connection_info=dict(type="dict"),
        state=dict(type="str", choices=["absent"], default="absent"),
    ),
    required_one_of=[("connection_info", "volumes")],
    mutually_exclusive=[("connection_info", "volumes")],
)
# A batch (module_utils/batch.py): several volumes' secrets in one run.
SECRET_SPEC["argument_spec"]["volumes"] = item_option(
    SECRET_SPEC, ("connection_info",), required=("connection_info",), extra=dict(volume_id=dict(type="str")))
