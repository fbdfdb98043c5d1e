#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# Modules are GPL-3.0-or-later, as Ansible modules are; the rest of the collection is Apache-2.0.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: iscsi_target
short_description: Export a volume over iSCSI with tgt, as Cinder's TgtAdm does
description:
  - Cinder's C(create_export) and C(initialize_connection) for the LVM/iSCSI driver with
    the C(tgtadm) target helper, on a plain storage host.
  - Writes one target file per volume, C(<volumes_dir>/volume-<id>), rendered from a
    template on the controller (Cinder's C(VOLUME_CONF) stanza), atomically and with mode
    0600, and brings the running C(tgtd) in line for that one target only. It never runs
    C(tgt-admin --update ALL), which would drop running targets missing from the files.
  - The IQN is O(target_prefix) + C(volume-<id>); the backing store is LUN 1.
  - CHAP is on by default. Credentials not given are generated (a 20-character user, a
    16-character secret, as Cinder) and kept in the target file, so a rerun reuses them.
  - Returns RV(connection_info) shaped as Cinder's C(initialize_connection) returns it.
    It holds the CHAP secret (C(data.auth_password)); register it under C(no_log=true).
  - Talks to tgtd over its management socket (as C(tgtadm) does) so that no secret is
    ever on a command line.
version_added: 0.1.0
author: virtblock developers (!UNKNOWN)
extends_documentation_fragment: []
options:
  volume_id:
    description: The volume's UUID (Cinder volume id).
    type: str
  state:
    description:
      - V(present) exports the volume; V(absent) removes the running target, its CHAP account
        (tgtd keeps accounts after their target is gone) and its file.
    type: str
    choices: [present, absent]
    default: present
  backing_store:
    description:
      - Path of the volume's backing file or block device. With O(state=present), this or
        O(backing_dir) is required.
    type: path
  backing_dir:
    description:
      - The file backend's directory, as given to M(virtblock.volumes.volume). When O(backing_store)
        is not given, the volume's file C(volume-<volume_id>) in it is exported.
    type: path
    version_added: 0.2.0
  target_prefix:
    description: IQN prefix, Cinder's C(target_prefix). Must end with C(:).
    type: str
    default: "iqn.2010-10.org.openstack:"
  target_ip_address:
    description:
      - Portal address returned in RV(connection_info), Cinder's C(target_ip_address), that is
        the address B(compute hosts) log in to.
      - It may differ from the address tgtd listens on (NAT, a storage network, a port
        forward); give that one in O(listen_ip_addresses).
    type: str
    default: 127.0.0.1
  listen_ip_addresses:
    description:
      - The addresses tgtd itself listens on for the portals (C(tgtd --iscsi portal=ADDR:PORT)),
        in the order of O(target_ip_address) then O(target_secondary_ip_addresses), when
        compute hosts reach the portals by other addresses.
      - When given, the module checks that tgtd has each C(ADDR:target_port) portal (or a
        wildcard one) and fails, changing nothing, if not. Cinder has no such option (its
        C(target_ip_address) is both); a compute host behind NAT needs the two apart.
      - Not given, nothing is checked (tgtd may listen anywhere).
    type: list
    elements: str
  target_port:
    description: Portal port, Cinder's C(target_port).
    type: int
    default: 3260
  target_secondary_ip_addresses:
    description:
      - More portal addresses, Cinder's C(target_secondary_ip_addresses). With any, or when
        O(connector) says C(multipath=true) (Cinder's rule, even for one portal),
        RV(connection_info) also carries C(target_portals), C(target_iqns) and C(target_luns).
    type: list
    elements: str
    default: []
  iscsi_protocol:
    description: tgt driver, Cinder's C(target_protocol).
    type: str
    choices: [iscsi, iser]
    default: iscsi
  use_chap_auth:
    description: Require CHAP, Cinder's C(use_chap_auth) (on by default here).
    type: bool
    default: true
  chap_username:
    description:
      - CHAP user. Generated (20 characters) and kept when not given.
      - Can come from the E(VIRTBLOCK_CHAP_USERNAME) environment variable (an AWX credential).
    type: str
  chap_password:
    description:
      - CHAP secret, 12 to 255 characters. Generated (16 characters) and kept when not given.
      - Can come from the E(VIRTBLOCK_CHAP_PASSWORD) environment variable (an AWX credential).
      - A secret passed here is masked by Ansible wherever it appears in the result, so
        RV(connection_info) then shows C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) for C(auth_password);
        use the value you passed. A generated secret is returned as is.
    type: str
  initiators:
    description: Initiator IQNs allowed to log in (C(initiator-name) ACL). Empty allows any.
    type: list
    elements: str
    default: []
  initiator_addresses:
    description: Initiator addresses allowed (C(initiator-address) ACL). Empty means C(ALL).
    type: list
    elements: str
    default: []
  connector:
    description:
      - The compute host's connector (os-brick C(get_connector_properties)). When given it is
        checked by Cinder's C(validate_connector) rule, it must carry C(initiator).
    type: dict
  target_flags:
    description: Backing store flags, Cinder's C(iscsi_target_flags) (C(bsoflags)).
    type: str
    choices: [direct, sync, "direct,sync"]
  write_cache:
    description: tgt write cache, Cinder's C(iscsi_write_cache).
    type: bool
    default: true
  access_mode:
    description: C(access_mode) in RV(connection_info).
    type: str
    choices: [rw, ro]
    default: rw
  qos_specs:
    description:
      - The volume type's QoS spec (its keys and values), put in RV(connection_info) as
        Cinder's volume manager does - only when its C(consumer) key is V(front-end) or
        V(both) (V(front-end) when absent; V(back-end) gives C(qos_specs=null)).
      - C(<option>_per_gb) (for C(read_iops_sec), C(read_bytes_sec), C(write_iops_sec),
        C(write_bytes_sec), C(total_iops_sec), C(total_bytes_sec)) is multiplied by the size
        of the backing store in whole GiB (rounded up, as Cinder's C(volume.size)), raised to
        C(<option>_per_gb_min) and capped by C(<option>_max), and replaces C(<option>).
      - Values QEMU would refuse together (a C(total_*) beside its C(read_*)/C(write_*), a
        C(*_max) without its base or below it) fail here, before anything is exported.
      - M(virtblock.volumes.libvirt_disk_attach) turns the result into the disk's C(<iotune>).
    type: dict
  encrypted:
    description:
      - C(encrypted) in RV(connection_info). Also true, whatever is given, when the backing store
        starts with a LUKS header (an encrypted volume of M(virtblock.volumes.volume)).
    type: bool
    default: false
  discard:
    description: C(discard) in RV(connection_info), Cinder's C(report_discard_supported).
    type: bool
    default: false
  multiattach:
    description:
      - The volume may be attached to more than one instance (Cinder's C(multiattach)). Its
        one target then serves every attachment, and its backing store must be raw (or LUKS,
        a raw disk with C(<encryption>) to libvirt) - libvirt shares only raw disks between
        domains (C(shared access for disk requires use of supported storage format)); another
        format (read with C(qemu-img info)) is refused before anything is exported.
    type: bool
    default: false
    version_added: 0.2.0
  volumes_dir:
    description: Directory of the per-volume target files, Cinder's C(volumes_dir).
    type: path
    default: /var/lib/virtblock/volumes
  tgt_include_file:
    description:
      - A tgt config file made to C(include <volumes_dir>/*), so tgtd reads the targets back
        when it starts (C(tgt-admin -e)). Set to an empty string to manage it yourself.
    type: path
    default: /etc/tgt/conf.d/virtblock-volumes.conf
  control_port:
    description: tgtd control port (C(tgtd -C)).
    type: int
    default: 0
  force:
    description:
      - Change or remove a target that initiators are logged in to.
    type: bool
    default: false
  template:
    description:
      - A Jinja2 template of your own for the target stanza, read on the controller. Defaults to
        the collection's C(templates/tgt_target.conf.j2); see it for the variables.
    type: path
  target_config:
    description:
      - The rendered stanza. Set by the action plugin from O(template); not for direct use.
    type: str
  volumes:
    description:
      - The targets of several volumes in one run (one tgtd connection) (a batch).
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
      backing_store:
        description: O(backing_store) for this volume.
        type: path
      access_mode:
        description: O(access_mode) for this volume.
        type: str
        choices: [rw, ro]
      qos_specs:
        description: O(qos_specs) for this volume.
        type: dict
      encrypted:
        description: O(encrypted) for this volume.
        type: bool
      discard:
        description: O(discard) for this volume.
        type: bool
      multiattach:
        description: O(multiattach) for this volume.
        type: bool
      target_config:
        description: The volume's rendered text. Set by the action plugin; not for direct use.
        type: str
notes:
  - Supports C(check_mode) and C(diff_mode); the diff shows the target file with the CHAP secret masked.
requirements:
  - tgt (tgtd) running on the storage host.
'''

EXAMPLES = r'''
- name: Export a volume with CHAP
  virtblock.volumes.iscsi_target:
    volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
    backing_store: /var/lib/virtblock/backing/volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
    target_ip_address: 127.0.0.1
    connector: "{{ connector }}"
  register: export
  no_log: true

- name: Remove the export
  virtblock.volumes.iscsi_target:
    volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
    state: absent

- name: Export three volumes in one run (a batch)
  virtblock.volumes.iscsi_target:
    volumes:
      - volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
      - volume_id: 0c3bd8f4-3f05-4b31-9a84-2f5d0c7a4e11
        access_mode: ro
      - volume_id: 5d1f3a52-9b0e-4c8f-8a35-6a3e2f7b9c20
    backing_dir: /var/lib/virtblock/backing
  register: exports   # exports.volumes[i].connection_info
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
iqn:
  description: The target's IQN.
  returned: always
  type: str
  sample: iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
tid:
  description: tgtd's target id, when the target runs (not in check mode before creation).
  returned: when state is present
  type: int
  sample: 1
target_file:
  description: The target file.
  returned: always
  type: str
  sample: /var/lib/virtblock/volumes/volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
target_config:
  description: The target file's text with the CHAP secret masked.
  returned: when state is present
  type: str
connection_info:
  description: Cinder's C(initialize_connection) result for iSCSI. Holds the CHAP secret.
  returned: when state is present
  type: dict
  sample:
    driver_volume_type: iscsi
    data:
      target_discovered: false
      target_iqn: iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
      target_portal: 127.0.0.1:3260
      target_lun: 1
      volume_id: 8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2
      auth_method: CHAP
      auth_username: nE9PY8juynmmZ95F7Xb7
      auth_password: YZ2Hceyh7VySh5HY
      access_mode: rw
      encrypted: false
      qos_specs: null
      discard: false
'''

import os
import stat

from ansible_collections.virtblock.volumes.plugins.module_utils.rules import connection_info
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import target_config as tgt_config
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import parameter_types as types
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import qos
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.volume_encryption import LUKS_MAGIC, is_luks
from ansible_collections.virtblock.volumes.plugins.module_utils.rules import multiattach
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters import files
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.qemu_img import QemuImg
from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import (
    backing_store_path, portal, target_iqn, validate_uuid)
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers.target_export import (
    ISCSI_TARGET_SPEC, TargetExport, check_listening, ensure_include)
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin


def checked_backing_store(path):
    """The canonical path of a regular file or block device tgtd can export."""
    real = types.tgt_path(os.path.realpath(types.tgt_path(path)))
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise InvalidInput("backing store %s does not exist" % path)
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise InvalidInput("backing store %s is not a regular file or a block device" % path)
    return real


class IscsiTargetModule(VirtblockModule):
    spec = ISCSI_TARGET_SPEC

    def run_one(self, params):
        p = params
        volume_id = validate_uuid(p["volume_id"])
        iqn = target_iqn(p["target_prefix"], volume_id)
        tgt = TgtAdmin(control_port=p["control_port"])
        export = TargetExport(tgt, p["volumes_dir"], volume_id, iqn)
        if p["state"] == "absent":
            return self.absent(export, p)
        return self.present(export, volume_id, iqn, p)

    def present(self, export, volume_id, iqn, p):
        if not p["backing_store"]:
            p["backing_store"] = backing_store_path(p["backing_dir"], volume_id)
        connection_info.validate_connector(p["connector"])
        portals = [portal(p["target_ip_address"], p["target_port"])]
        portals += [portal(a, p["target_port"]) for a in p["target_secondary_ip_addresses"]]
        if p["listen_ip_addresses"] is not None:
            check_listening(export.tgt, [portal(a, p["target_port"]) for a in p["listen_ip_addresses"]],
                            len(portals))
        backing_store = checked_backing_store(p["backing_store"])
        if p["multiattach"]:
            multiattach.check_shareable_format(
                volume_id, QemuImg(self.module.run_command).info(backing_store).get("format"))
        qos_specs = p["qos_specs"] and qos.front_end_specs(
            p["qos_specs"], qos.size_gib(files.size_bytes(backing_store)))
        if p["target_config"] is None:
            raise InvalidInput("target_config is rendered by the iscsi_target action plugin; "
                               "run the module through Ansible, not on its own")
        before = export.current_text()
        # An AWX credential whose CHAP fields are blank injects them as empty variables:
        # empty means "not given" (generated per volume), as the credential's labels say.
        text, spec, credentials = export.desired(p["target_config"], p["use_chap_auth"],
                                                 p["chap_username"] or None,
                                                 p["chap_password"] or None)
        if os.path.realpath(spec.backing_store) != backing_store:
            raise InvalidInput("the target template renders backing-store %s, expected %s"
                               % (spec.backing_store, p["backing_store"]))
        # tgtd exports exactly the file checked above, not whatever a symlink points at later.
        spec.backing_store = backing_store
        # Plan before any change: a foreign include file fails the task with nothing written.
        ensure_include(p["tgt_include_file"], p["volumes_dir"], check_mode=True)
        tid = None if self.check_mode else export.create_fast(text, spec)
        changed = tid is not None
        if not changed:
            changed, live, tids = export.plan_present(text, spec, force=p["force"])
            tid = live.tid if live is not None else None
            if changed and not self.check_mode:
                tid = export.apply_present(text, spec, live, tids)
        include_changed = ensure_include(p["tgt_include_file"], p["volumes_dir"], self.check_mode)

        secrets = [credentials[1]] if credentials else []
        masked = tgt_config.mask_secrets(text, secrets)
        result = dict(
            changed=changed or include_changed, iqn=iqn, tid=tid, target_file=export.path,
            target_config=masked,
            connection_info=connection_info.iscsi_connection_info(
                volume_id, iqn, portals, tgt_config.LUN, chap=credentials,
                access_mode=p["access_mode"], qos_specs=qos_specs,
                # Cinder sets it from the volume's encryption key id; here the bytes say it
                encrypted=p["encrypted"] or is_luks(files.read_head(backing_store, len(LUKS_MAGIC))),
                discard=p["discard"], driver_volume_type=p["iscsi_protocol"],
                multipath=bool((p["connector"] or {}).get("multipath"))),
        )
        if self.diff_mode:
            result["diff"] = dict(
                before=tgt_config.mask_secrets(before, []) if before is not None else "",
                after=masked, before_header=export.path, after_header=export.path)
        return result

    def absent(self, export, p):
        changed, live, text = export.plan_absent(force=p["force"])
        if changed and not self.check_mode:
            export.apply_absent(live, text)
        result = dict(changed=changed, iqn=export.iqn, target_file=export.path)
        if self.diff_mode:
            result["diff"] = dict(before=tgt_config.mask_secrets(text, []) if text else "", after="",
                                  before_header=export.path, after_header=export.path)
        return result


def main():
    IscsiTargetModule()()


if __name__ == "__main__":
    main()
