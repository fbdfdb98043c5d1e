#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: libvirt_disk_attach
short_description: Hot-plug a volume into a libvirt domain, as Nova's libvirt driver does
description:
  - Nova's C(_get_volume_config) and C(guest.attach_device)/C(detach_device) for one volume,
    against libvirtd on the compute host through libvirt-python.
  - The C(<disk>) comes from a template (C(templates/libvirt_disk.xml.j2)) rendered on the
    controller from Cinder's O(connection_info) the way Nova's libvirt volume drivers build
    it. Host iSCSI (os-brick login, see M(virtblock.volumes.volume_connection)) gives
    C(type=block) on C(data.device_path); O(iscsi_initiator=qemu) gives
    C(type=network protocol=iscsi) with C(<auth>) pointing at a private libvirt secret the
    module creates (its value goes through the libvirt API only); C(rbd) gives
    C(type=network protocol=rbd); C(local) a host block device or file.
  - Driver C(qemu)/C(raw), cache C(none), io C(native) (cache C(writethrough), io C(threads)
    when the source cannot do O_DIRECT), C(<serial>) = the volume id, discard C(unmap) when
    C(data.discard) is true, C(<readonly/>) for C(access_mode=ro), C(<shareable/>) for
    multiattach, C(<iotune>) from C(data.qos_specs) (Nova's keys), optional boot order.
  - The target device is O(device) - in Nova the name is reserved once, by
    C(reserve_block_device_name), and handed to the driver; the roles pass
    M(virtblock.volumes.bdm_record)'s reserved C(device_name). Without O(device) the module
    asks the same rule (the first free name on the bus, gaps first, the domain's disks in
    use). A name another disk holds fails with Nova's C(DevicePathInUse) message.
  - The serial is the idempotency key. The persistent config always; the live domain too
    when it runs.
  - Detach finds the disk by serial, removes it from the config and from the live domain,
    and confirms the live removal by polling the live XML (O(detach_attempts) times
    O(detach_timeout) seconds, as Nova's C(device_detach_attempts)/C(device_detach_timeout)).
    A guest that ignores the unplug (a VM with no OS and a virtio disk) makes it fail with
    Nova's C(DeviceDetachFailed) wording; the config is clean by then and a rerun continues.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment:
  - virtblock.volumes.libvirt
options:
  domain:
    description: The libvirt domain, by name or UUID (Nova's instance uuid).
    type: str
    required: true
  volume_id:
    description: The volume's UUID; the disk's C(<serial>).
    type: str
    required: true
  state:
    description: V(attached) or V(detached).
    type: str
    choices: [attached, detached]
    default: attached
  connection_info:
    description:
      - Cinder's C(connection_info) (M(virtblock.volumes.iscsi_target)'s result, with
        C(data.device_path) from M(virtblock.volumes.volume_connection) for host iSCSI).
        Required for O(state=attached). Its secrets are masked in logs and results.
      - C(driver_volume_type) is C(iscsi), C(rbd) or C(local).
    type: dict
  device:
    description:
      - The target device, C(/dev/<name>) (Nova's C(device)); pass M(virtblock.volumes.bdm_record)'s
        reserved C(device_name). Default the first free name by that module's rule.
    type: str
  disk_bus:
    description: Nova's C(disk_bus). Default from O(device)'s prefix, else C(virtio).
    type: str
    choices: [virtio, scsi, sata, usb, ide]
  iscsi_initiator:
    description:
      - V(host) takes the host's block device (C(data.device_path), os-brick login);
        V(qemu) lets QEMU's own initiator open the target, with CHAP via a libvirt secret.
    type: str
    choices: [host, qemu]
    default: host
  multiattach:
    description: Mark the disk C(<shareable/>). Default C(connection_info.multiattach).
    type: bool
  boot_index:
    description: Nova's C(boot_index); the disk gets C(<boot order=boot_index+1>).
    type: int
  rbd_key:
    description: The ceph client key to keep in the C(ceph) libvirt secret for an rbd volume.
    type: str
  detach_timeout:
    description: Seconds to wait for the guest to let the disk go, per attempt.
    type: float
    default: 20
  detach_attempts:
    description: How many times to ask the guest.
    type: int
    default: 8
  template:
    description: Your own Jinja2 template for the C(<disk>), read on the controller.
    type: path
  disk_xml:
    description: The rendered C(<disk>). Set by the action plugin; not for direct use.
    type: str
notes:
  - Supports C(check_mode) and C(diff_mode) (the one C(<disk>) element before and after).
requirements:
  - libvirt-python on the compute host, libvirtd running.
'''

EXAMPLES = r'''
- name: Attach a volume opened by QEMU's iSCSI initiator (CHAP via a libvirt secret)
  virtblock.volumes.libvirt_disk_attach:
    domain: 6edad723-c62d-40d4-a29e-d9ac6a3247ee
    volume_id: 3b9fdb6c-200e-494d-aa71-f47c70e87d7e
    connection_info: "{{ export.connection_info }}"
    iscsi_initiator: qemu
  register: attached

- name: Detach it
  virtblock.volumes.libvirt_disk_attach:
    domain: 6edad723-c62d-40d4-a29e-d9ac6a3247ee
    volume_id: 3b9fdb6c-200e-494d-aa71-f47c70e87d7e
    state: detached
'''

RETURN = r'''
device:
  description: The disk's device path, as Nova's BDM C(device_name).
  returned: when the disk is or was attached
  type: str
  sample: /dev/vdb
disk_bus:
  description: The bus.
  returned: when the disk is or was attached
  type: str
  sample: virtio
live:
  description: Whether the domain runs (the live domain was changed or checked too).
  returned: always
  type: bool
disk_xml:
  description: The disk's C(<disk>) element (no secret in it).
  returned: when the disk is or was attached
  type: str
secret_uuid:
  description: The libvirt secret the disk's C(<auth>) points at.
  returned: when the disk uses one
  type: str
'''

import os

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import device_naming
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    InvalidInput, VolumeAttachFailed)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.libvirt_host import (
    LIBVIRT_ARGUMENT_SPEC, LibvirtHost)


class LibvirtDiskAttachModule(VirtblockModule):
    argument_spec = dict(
        LIBVIRT_ARGUMENT_SPEC,
        domain=dict(type="str", required=True),
        volume_id=dict(type="str", required=True),
        state=dict(type="str", choices=["attached", "detached"], default="attached"),
        connection_info=dict(type="dict"),
        device=dict(type="str"),
        disk_bus=dict(type="str", choices=["virtio", "scsi", "sata", "usb", "ide"]),
        iscsi_initiator=dict(type="str", choices=["host", "qemu"], default="host"),
        multiattach=dict(type="bool"),
        boot_index=dict(type="int"),
        rbd_key=dict(type="str", no_log=True),
        detach_timeout=dict(type="float", default=20),
        detach_attempts=dict(type="int", default=8),
        template=dict(type="path"),
        disk_xml=dict(type="str"),
    )
    module_kwargs = dict(required_if=[("state", "attached", ["connection_info"])])

    @staticmethod
    def secret_values(params):
        return disk_config.secrets_of(params.get("connection_info"))

    def run(self):
        p = self.params
        # nan and inf pass a '<= 0' test and never end the wait: finite, positive, capped.
        p["detach_timeout"] = types.bounded_float(p["detach_timeout"], "detach_timeout")
        p["detach_attempts"] = types.bounded_int(p["detach_attempts"], "detach_attempts", 1,
                                                 types.MAX_ATTEMPTS)
        if p["boot_index"] is not None:
            types.bounded_int(p["boot_index"], "boot_index", 0, 999)
        serial = validate_uuid(p["volume_id"])
        host = LibvirtHost(p["uri"])
        try:
            dom = host.domain(p["domain"])
            running = host.is_running(dom)
            config = disk_config.parse_disks(host.xml(dom, False))
            live = disk_config.parse_disks(host.xml(dom, True)) if running else []
            if p["state"] == "attached":
                result = self.attach(host, dom, serial, running, config, live)
            else:
                result = self.detach(host, dom, serial, running, config, live)
        finally:
            host.close()
        result["live"] = running
        return result

    def _result(self, changed, before, after, desc, **extra):
        result = dict(changed=changed, **extra)
        if desc:
            result.update(device="/dev/%s" % desc["dev"], disk_bus=desc["bus"],
                          disk_xml=desc["xml"])
        if self.diff_mode:
            result["diff"] = dict(before=before or "", after=after or "",
                                  before_header="<disk> %s" % self.params["volume_id"],
                                  after_header="<disk> %s" % self.params["volume_id"])
        return result

    def attach(self, host, dom, serial, running, config, live):
        p = self.params
        kind, data = disk_config.validate(p["connection_info"], p["iscsi_initiator"])
        if p["disk_xml"] is None:
            raise InvalidInput("disk_xml is rendered by the libvirt_disk_attach action plugin; "
                               "run the module through Ansible, not on its own")
        in_config = disk_config.find_serial(config, serial)
        in_live = disk_config.find_serial(live, serial)
        dev, _bus = device_naming.choose(p["device"], disk_config.rendered_bus(p["disk_xml"]),
                                         config + live, serial)
        source = data.get("device_path") if kind in ("local", "iscsi_host") else None
        usage = disk_config.secret_usage(kind, data)
        secret_value = None
        if usage:
            secret_value = data.get("auth_password") if usage[0] == "iscsi" else p["rbd_key"]
        secret_uuid = None
        if usage:
            existing_secret = host.find_secret(*usage)
            secret_uuid = existing_secret.UUIDString() if existing_secret else None
        xml, desc = disk_config.finalize(
            p["disk_xml"], dev, serial,
            direct_io=files.supports_direct_io(source) if source else True,
            secret=secret_uuid,
            source_is_file=bool(kind == "local" and source and os.path.isfile(source)))
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
                "virtblock volume %s" % serial, dry_run=self.check_mode)
        changed = need_config or need_live or created
        if (need_config or need_live) and not self.check_mode:
            try:
                if need_config and need_live:
                    host.attach(dom, xml, live=True, config=True)
                elif need_config:
                    host.attach(dom, xml, live=False, config=True)
                else:
                    host.attach(dom, xml, live=True, config=False)
            except Exception:
                if created:
                    host.delete_secret(*usage)
                raise
        before = current["xml"] if current else ""
        after = xml if (need_config or need_live) else before
        return self._result(changed, before, after, desc if not current else current,
                            secret_uuid=secret_uuid)

    def detach(self, host, dom, serial, running, config, live):
        p = self.params
        in_config = disk_config.find_serial(config, serial)
        in_live = disk_config.find_serial(live, serial)
        current = in_config or in_live
        if current is None:
            return self._result(False, "", "", None)
        if not self.check_mode:
            if in_config:
                host.detach_config(dom, in_config["xml"])
            if in_live:
                host.detach_live(
                    dom, in_live["xml"],
                    lambda xml: disk_config.find_serial(disk_config.parse_disks(xml), serial) is not None,
                    in_live["dev"], dom.UUIDString(), p["detach_attempts"], p["detach_timeout"])
            secret = disk_config.secret_of(current["xml"])
            # Nova drops the iSCSI CHAP secret on disconnect; ceph secrets are shared.
            if secret and secret[0] == "iscsi":
                host.delete_unused_secret(secret[1])
        return self._result(True, current["xml"], "", current)


def main():
    LibvirtDiskAttachModule()()


if __name__ == "__main__":
    main()
