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


# --- Nova: device names and block device mappings (nova/exception.py wording) ---

class InvalidDevicePath(VirtblockError):
    """Nova ``InvalidDevicePath`` (raised by the API when ``match_device`` fails)."""

    def __init__(self, path, reason=None):
        msg = "The supplied device path (%s) is invalid." % path
        if reason:
            msg = "%s %s" % (msg, reason)
        super(InvalidDevicePath, self).__init__(msg)


class DevicePathInUse(VirtblockError):
    """Nova ``DevicePathInUse``."""

    def __init__(self, path):
        super(DevicePathInUse, self).__init__(
            "The supplied device path (%s) is in use." % (path,))


class InvalidBDM(VirtblockError):
    """Nova ``InvalidBDM`` and its subclasses; ``nova_class`` names the Nova class."""

    nova_class = "InvalidBDM"
    default = "Block Device Mapping is Invalid."

    def __init__(self, message=None):
        super(InvalidBDM, self).__init__(message or self.default)


class InvalidBDMFormat(InvalidBDM):
    nova_class = "InvalidBDMFormat"

    def __init__(self, details):
        super(InvalidBDMFormat, self).__init__("Block Device Mapping is Invalid: %s" % details)


class InvalidBDMBootSequence(InvalidBDM):
    nova_class = "InvalidBDMBootSequence"
    default = ("Block Device Mapping is Invalid: Boot sequence for the instance and "
               "image/block device mapping combination is not valid.")


class InvalidBDMLocalsLimit(InvalidBDM):
    nova_class = "InvalidBDMLocalsLimit"
    default = ("Block Device Mapping is Invalid: You specified more local devices than "
               "the limit allows")


class InvalidBDMEphemeralSize(InvalidBDM):
    nova_class = "InvalidBDMEphemeralSize"
    default = ("Ephemeral disks requested are larger than the instance type allows. If no "
               "size is given in one block device mapping, flavor ephemeral size will be used.")


class InvalidBDMSwapSize(InvalidBDM):
    nova_class = "InvalidBDMSwapSize"
    default = "Swap drive requested is larger than instance type allows."


class InvalidBDMDiskBus(InvalidBDM):
    nova_class = "InvalidBDMDiskBus"

    def __init__(self, disk_bus):
        super(InvalidBDMDiskBus, self).__init__(
            "Block Device Mapping is invalid: The provided disk bus %s is not valid." % disk_bus)


class TooManyDiskDevices(InvalidBDM):
    nova_class = "TooManyDiskDevices"

    def __init__(self, maximum):
        super(TooManyDiskDevices, self).__init__(
            "The maximum allowed number of disk devices (%d) to attach to a single instance "
            "has been exceeded." % maximum)


class ValidationError(VirtblockError):
    """Nova API ``ValidationError`` (the JSON-schema check of a request body)."""


class VolumeBDMNotFound(VirtblockError):
    """Nova ``VolumeBDMNotFound``."""

    def __init__(self, volume_id):
        super(VolumeBDMNotFound, self).__init__(
            "No volume Block Device Mapping with id %s." % volume_id)


# --- Cinder: volumes and attachments (cinder/exception.py wording) ---

class InvalidVolumeAttachMode(VirtblockError):
    """Cinder ``InvalidVolumeAttachMode``."""

    def __init__(self, mode, volume_id):
        super(InvalidVolumeAttachMode, self).__init__(
            "Invalid attaching mode '%s' for volume %s." % (mode, volume_id))


class VolumeNotFound(VirtblockError):
    """Cinder ``VolumeNotFound``."""

    def __init__(self, volume_id):
        super(VolumeNotFound, self).__init__("Volume %s could not be found." % volume_id)


class VolumeIsBusy(VirtblockError):
    """Cinder ``VolumeIsBusy``: its default wording, or the driver's own message."""

    def __init__(self, volume_name, msg=None):
        super(VolumeIsBusy, self).__init__(msg or "deleting volume %s that has snapshot" % volume_name)


class StoreError(VirtblockError):
    """The record store (database) is unusable: not a database, newer schema, ..."""


# --- Nova's, for the compute side (wording from nova/exception.py) ---

class InstanceNotFound(VirtblockError):
    def __init__(self, instance_id):
        super(InstanceNotFound, self).__init__("Instance %s could not be found." % instance_id)


class HypervisorUnavailable(VirtblockError):
    def __init__(self, host, reason):
        super(HypervisorUnavailable, self).__init__(
            "Connection to the hypervisor is broken on host %s: %s" % (host, reason))


class VolumeDriverNotFound(VirtblockError):
    def __init__(self, driver_type):
        super(VolumeDriverNotFound, self).__init__(
            "Could not find a handler for %s volume." % driver_type)


class DeviceDetachFailed(VirtblockError):
    def __init__(self, device, reason):
        super(DeviceDetachFailed, self).__init__(
            "Device detach failed for %s: %s" % (device, reason))


class VolumeAttachFailed(VirtblockError):
    def __init__(self, volume_id, reason):
        super(VolumeAttachFailed, self).__init__(
            "Volume %s could not be attached. Reason: %s" % (volume_id, reason))


class VolumeDeviceNotFound(VirtblockError):
    """os-brick's ``VolumeDeviceNotFound``, with the cause added."""

    def __init__(self, device, reason=None):
        msg = "Volume device not found at %s." % device
        if reason:
            msg = "%s %s" % (msg, reason)
        super(VolumeDeviceNotFound, self).__init__(msg)
