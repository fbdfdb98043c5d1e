# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Errors raised by the rules and adapters, named after Nova's and Cinder's exceptions.

A module turns any of these into ``fail_json(msg=...)``: the message is what the
operator reads, so it carries Nova's or Cinder's wording where they have one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class VirtblockError(Exception):
    """Base class: ``str(err)`` is the message shown to the operator."""

    def __init__(self, msg, **details):
        super(VirtblockError, self).__init__(msg)
        self.msg = msg
        self.details = details


class InvalidInput(VirtblockError):
    """Cinder/Nova ``InvalidInput``: bad request data."""

    def __init__(self, reason):
        super(InvalidInput, self).__init__("Invalid input received: %s" % reason)


class InvalidVolume(VirtblockError):
    """Cinder ``InvalidVolume``."""

    def __init__(self, reason):
        super(InvalidVolume, self).__init__("Invalid volume: %s" % reason)


class VolumeBackendAPIException(VirtblockError):
    """Cinder ``VolumeBackendAPIException``: the backend (tgt, qemu-img, LVM) failed."""

    def __init__(self, data):
        super(VolumeBackendAPIException, self).__init__(
            "Bad or unexpected response from the storage volume backend API: %s" % data)


class ISCSITargetCreateFailed(VirtblockError):
    def __init__(self, volume_id, reason):
        super(ISCSITargetCreateFailed, self).__init__(
            "Failed to create iscsi target for volume %s: %s" % (volume_id, reason))


class ISCSITargetRemoveFailed(VirtblockError):
    def __init__(self, volume_id, reason):
        super(ISCSITargetRemoveFailed, self).__init__(
            "Failed to remove iscsi target for volume %s: %s" % (volume_id, reason))


class ServiceUnavailable(VirtblockError):
    """An outside daemon (tgtd, libvirtd, the database) cannot be reached."""
