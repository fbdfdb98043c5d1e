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
  - Driver C(qemu)/C(raw), cache C(none) (C(writethrough) when the source cannot do O_DIRECT),
    io C(native) only for a host-connected iSCSI volume as Nova's C(LibvirtISCSIVolumeDriver)
    sets it (C(threads) without O_DIRECT), C(<serial>) = the volume id, C(<alias
    name="ua-VOLUME_ID">) as Nova names it, C(<blockio>) from C(data.logical_block_size) /
    C(data.physical_block_size), discard C(unmap) when C(data.discard) is true,
    C(<readonly/>) for C(access_mode=ro) (another mode fails with Nova's
    C(Invalid volume access mode)), C(<shareable/>) for multiattach, C(<iotune>) from
    C(data.qos_specs) (Nova's keys, plus libvirt's C(*_max_length) burst lengths, which Nova
    drops; values QEMU cannot take together fail before the attach), optional boot order.
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
        V(qemu) lets QEMU's own initiator open the target, with CHAP via a libvirt secret;
        V(auto) is V(host) when O(connection_info) carries C(data.device_path) (the host
        connected the volume, M(virtblock.volumes.volume_connection)), else V(qemu).
    type: str
    choices: [host, qemu, auto]
    default: host
  chap_username:
    description:
      - The CHAP user the export was given (M(virtblock.volumes.iscsi_target)'s O(virtblock.volumes.iscsi_target#module:chap_username)),
        put in O(connection_info) for QEMU's initiator. Default the E(VIRTBLOCK_CHAP_USERNAME)
        environment variable (an AWX credential). Not needed for a generated pair.
    type: str
    version_added: 0.3.0
  chap_password:
    description:
      - The CHAP secret the export was given. A fixed secret is masked in the export's result
        (Ansible masks a no_log value everywhere), so the C(connection_info) it returns carries
        the mask; this option puts the real one back for QEMU's initiator (its libvirt secret).
        Default the E(VIRTBLOCK_CHAP_PASSWORD) environment variable (an AWX credential).
    type: str
    version_added: 0.3.0
  multiattach:
    description: Mark the disk C(<shareable/>). Default C(connection_info.multiattach).
    type: bool
  boot_index:
    description: Nova's C(boot_index); the disk gets C(<boot order=boot_index+1>).
    type: int
  rbd_key:
    description:
      - The cephx key of C(connection_info.data.auth_username) (base64, as C(ceph auth print-key)
        prints it), for an rbd volume with C(auth_enabled). The module keeps it, decoded as libvirt
        wants it (what C(virsh secret-set-value --base64) stores), in a private C(ceph) libvirt secret
        with usage C(client.<user> secret), through the libvirt API only; default the
        E(VIRTBLOCK_RBD_KEY) environment variable. Without it the secret must exist already (Nova's
        deployer-defined C(rbd_secret_uuid)).
      - Detach undefines a ceph secret this module made once no disk of any domain uses it; a
        secret defined by other means is kept.
    type: str
  encryption_passphrase:
    description:
      - The LUKS passphrase of an encrypted volume (C(connection_info.data.encrypted)), as Nova's
        C(_attach_encryptor) hands the hexlified key to C(host.create_secret). The module keeps it in a
        libvirt secret of usage C(volume) with the volume id as usage id (ephemeral and private V(false),
        as Nova's), set through C(secretSetValue) only, and the disk gets
        C(<encryption format="luks"><secret type="passphrase" uuid="..."/></encryption>) - QEMU opens the
        LUKS container and the guest sees plaintext.
      - Without it the volume's secret must exist on the host already (Nova then skips the key manager).
      - A wrong passphrase fails the attach (QEMU cannot unlock a key slot) and the secret the module made
        is removed again. Detach removes the volume's secret, as Nova's C(_detach_encryptor) does.
    type: str
    version_added: 0.3.0
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
  volumes:
    description:
      - Several volumes' disks on the one domain in one run, over one libvirt connection (one libvirt call a disk) (a batch).
      - Each item's options override the task's for that volume; every other option is the
        task's. Mutually exclusive with the one-volume options it names.
      - Each volume succeeds or fails on its own - a failed volume leaves nothing half-done and
        does not stop the others; RV(volumes) has every volume's result and the task fails,
        with each failed volume's own message, when any failed.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      volume_id:
        description: O(volume_id) for this volume.
        type: str
        required: true
      connection_info:
        description: O(connection_info) for this volume.
        type: dict
      device:
        description: O(device) for this volume.
        type: str
      disk_bus:
        description: O(disk_bus) for this volume.
        type: str
        choices: [virtio, scsi, sata, usb, ide]
      multiattach:
        description: O(multiattach) for this volume.
        type: bool
      boot_index:
        description: O(boot_index) for this volume.
        type: int
      disk_xml:
        description: The volume's rendered text. Set by the action plugin; not for direct use.
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

- name: Hot-plug two volumes over one libvirt connection (a batch)
  virtblock.volumes.libvirt_disk_attach:
    domain: "{{ vm_uuid }}"
    volumes:
      - volume_id: "{{ first_volume }}"
        connection_info: "{{ exports.volumes[0].connection_info }}"
        device: /dev/vdb
      - volume_id: "{{ second_volume }}"
        connection_info: "{{ exports.volumes[1].connection_info }}"
        device: /dev/vdc
    iscsi_initiator: qemu
  no_log: true
'''

RETURN = r'''
volumes:
  description:
    - With O(volumes), each volume's result in the order given - the keys this module returns
      for one volume, with C(volume_id), C(changed), C(failed) and, when it failed, C(msg).
  returned: when O(volumes) is given
  type: list
  elements: dict
  version_added: 0.3.0
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
  description: The libvirt secret the disk's C(<auth>) points at (not an encrypted volume's passphrase secret).
  returned: when the disk uses one
  type: str
'''

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.batch import batch_result, merged, run_items
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import disk_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.guest_disks import (
    DISK_ATTACH_SPEC, set_disk, one_host)


class LibvirtDiskAttachModule(VirtblockModule):
    spec = DISK_ATTACH_SPEC

    def run_batch(self, items):
        # one libvirt connection for the whole batch
        with one_host(self.params["uri"]) as host:
            results, failed = run_items(items, lambda item: self.run_one(merged(self.params, item), host))
        return batch_result(results, failed)

    def run_one(self, params, host=None):
        p = params
        # nan and inf pass a '<= 0' test and never end the wait: finite, positive, capped.
        p["detach_timeout"] = types.bounded_float(p["detach_timeout"], "detach_timeout")
        p["detach_attempts"] = types.bounded_int(p["detach_attempts"], "detach_attempts", 1,
                                                 types.MAX_ATTEMPTS)
        if p["boot_index"] is not None:
            types.bounded_int(p["boot_index"], "boot_index", 0, 999)
        serial = validate_uuid(p["volume_id"])
        changed, before, after, desc, extra = set_disk(p, serial, self.check_mode, host)
        result = dict(changed=changed, **extra)
        if desc:
            result.update(device="/dev/%s" % desc["dev"], disk_bus=desc["bus"],
                          disk_xml=disk_config.mask_auth_username(desc["xml"]))
        if self.diff_mode:
            # The CHAP user is half of the credentials: not in the output (-vvv, --diff).
            result["diff"] = dict(before=disk_config.mask_auth_username(before) or "",
                                  after=disk_config.mask_auth_username(after) or "",
                                  before_header="<disk> %s" % p["volume_id"],
                                  after_header="<disk> %s" % p["volume_id"])
        return result


def main():
    LibvirtDiskAttachModule()()


if __name__ == "__main__":
    main()
