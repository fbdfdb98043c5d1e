# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: what a multiattach volume changes on the compute side. Pure functions, no I/O.

- ``check_shareable_format``: libvirt's rule for a ``<shareable/>`` disk
  (``qemuBlockStorageSourceSupportsConcurrentAccess``: only raw supports concurrent access
  from two QEMU processes), checked before anything is exported or attached.
- ``should_disconnect_target``: Nova's ``LibvirtDriver._should_disconnect_target``: a host
  connection (os-brick) serves every instance on that host that uses the volume, so it stays
  while another attachment of the volume is on the same host.

Cinder's side (the volume stays ``in-use`` until its last attachment goes; the one export is
removed only with the last attachment) is in ``volume_states`` and ``bdm.remove_export``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidVolume

# qemuBlockStorageSourceSupportsConcurrentAccess: "only RAW storage supports this". A LUKS
# volume (Nova's native encryption) is a raw disk to libvirt, <driver type='raw'> with
# <encryption format='luks'>: the LUKS layer is opened by each QEMU over the shared raw bytes,
# so qemu-img's "luks" is shareable too.
SHAREABLE_FORMATS = ("raw", "luks")


def check_shareable_format(volume_id, fmt):
    """Refuse a multiattach volume whose bytes are not raw, in libvirt's words.

    Nova would hand libvirt a ``<shareable/>`` disk with ``<driver type='qcow2'>`` and libvirt
    refuses it when the disk is attached ("shared access for disk '<dev>' requires use of
    supported storage format"). Here the volume reaches QEMU through an iSCSI LUN that libvirt
    only ever sees as raw, so libvirt could not tell: the guests would share qcow2 metadata as
    if it were data. The storage side reads the file's format instead and refuses first."""
    if fmt not in SHAREABLE_FORMATS:
        raise InvalidVolume(
            "volume %s is multiattach and its format is %s: shared access for disk requires use "
            "of supported storage format (libvirt shares only raw disks between instances); "
            "convert it to raw or attach it to one instance" % (volume_id, fmt or "unknown"))


def should_disconnect_target(multiattach, attachments, instance_uuid, host):
    """Whether detaching *instance_uuid* disconnects the host's connection (os-brick
    ``disconnect_volume``). *attachments* are the volume's live attachments (dicts with
    ``instance_uuid`` and ``attached_host``).

    Nova counts the volume's attachments whose server is on this host and keeps the
    connection when there is more than one. Nova asks its instance list for the servers of
    the host; here the attachment's ``attached_host`` (the compute host the attach ran on)
    says it."""
    if not multiattach:
        return True
    on_this_host = [att for att in attachments
                    if att.get("attached_host") == host or att.get("instance_uuid") == instance_uuid]
    return len(on_this_host) <= 1
