# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Errors raised by the rules, adapters and drivers, in Nova's style (``nova/exception.py``).

One base class, ``VirtblockError`` (Nova's ``NovaException``): a subclass only sets
``msg_fmt``, and the message is ``msg_fmt % kwargs``. A module turns any of them into
``fail_json(msg=...)``: the message is what the operator reads, so it carries Nova's or
Cinder's wording where they have one, and the class name is Nova's or Cinder's.

Where we differ from Nova: arguments may also be given by position, in the order the
fields appear in ``msg_fmt`` (``InvalidInput("no size")``); a field not given formats as
an empty string and the message is stripped, so an optional trailing ``%(reason)s`` adds
detail only when there is some; keyword arguments that are no field of ``msg_fmt`` (such
as tgtadm's error ``code``) are kept in ``kwargs`` as Nova keeps them; ``exception`` (a
traceback for ``-vvv``) is kept in ``details`` for ``fail_json``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_FAIL_JSON_KEYS = ("exception",)
_FIELD_RE = re.compile(r"%\((\w+)\)")


class VirtblockError(Exception):
    """Base class: ``str(err)`` (and ``err.msg``) is the message shown to the operator."""

    msg_fmt = "An unknown exception occurred."

    def __init__(self, *args, **kwargs):
        fields = list(dict.fromkeys(_FIELD_RE.findall(self.msg_fmt)))
        message = kwargs.pop("message", None)
        if args and not fields and message is None:
            message, args = args[0], args[1:]   # Nova's ``message=``, given by position
        if len(args) > len(fields):
            raise TypeError("%s takes %d argument(s): %s"
                            % (type(self).__name__, len(fields), ", ".join(fields)))
        values = dict(zip(fields, args))
        values.update((key, kwargs.pop(key)) for key in fields if key in kwargs)
        self.details = dict((key, kwargs.pop(key)) for key in _FAIL_JSON_KEYS if key in kwargs)
        self.kwargs = dict(values, **kwargs)
        if message is None:
            message = (self.msg_fmt % dict(
                (key, "" if values.get(key) is None else values[key]) for key in fields)).strip()
        self.msg = message
        super(VirtblockError, self).__init__(message)


class InvalidInput(VirtblockError):
    """Cinder/Nova ``InvalidInput``: bad request data."""
    msg_fmt = "Invalid input received: %(reason)s"


class InvalidVolume(VirtblockError):
    msg_fmt = "Invalid volume: %(reason)s"


class VolumeBackendAPIException(VirtblockError):
    """The backend (tgt, qemu-img, LVM) failed."""
    msg_fmt = "Bad or unexpected response from the storage volume backend API: %(data)s"


class TgtError(VolumeBackendAPIException):
    """tgtd refused a management request; ``kwargs["code"]`` is tgtadm's error code."""
    msg_fmt = ("Bad or unexpected response from the storage volume backend API: "
               "tgtd: %(what)s: %(error)s")

    @property
    def code(self):
        return self.kwargs.get("code")


class InvalidConnectorException(VirtblockError):
    """Cinder ``InvalidConnectorException`` (a ``VolumeDriverException``)."""
    msg_fmt = "Connector doesn't have required information: %(missing)s"


class ISCSITargetCreateFailed(VirtblockError):
    msg_fmt = "Failed to create iscsi target for volume %(volume_id)s: %(reason)s"


class ISCSITargetRemoveFailed(VirtblockError):
    msg_fmt = "Failed to remove iscsi target for volume %(volume_id)s: %(reason)s"


class ServiceUnavailable(VirtblockError):
    """An outside daemon (tgtd, libvirtd, the database) cannot be reached."""
    msg_fmt = "Service is unavailable at this time."


class ProcessExecutionError(VirtblockError):
    """oslo.concurrency's ``ProcessExecutionError``: a command failed (adapters/command.py)."""
    msg_fmt = "%(cmd)s failed (rc %(exit_code)s): %(stderr)s"


# --- Nova: device names and block device mappings (nova/exception.py wording) ---

class InvalidDevicePath(VirtblockError):
    """Nova's, raised by the API when ``match_device`` fails; *reason* is our addition."""
    msg_fmt = "The supplied device path (%(path)s) is invalid. %(reason)s"


class DevicePathInUse(VirtblockError):
    msg_fmt = "The supplied device path (%(path)s) is in use."


class InvalidBDM(VirtblockError):
    """Nova ``InvalidBDM`` and its subclasses (the class name is Nova's)."""
    msg_fmt = "Block Device Mapping is Invalid."


class InvalidBDMFormat(InvalidBDM):
    msg_fmt = "Block Device Mapping is Invalid: %(details)s"


class InvalidBDMBootSequence(InvalidBDM):
    msg_fmt = ("Block Device Mapping is Invalid: Boot sequence for the instance and "
               "image/block device mapping combination is not valid.")


class InvalidBDMLocalsLimit(InvalidBDM):
    msg_fmt = ("Block Device Mapping is Invalid: You specified more local devices than "
               "the limit allows")


class InvalidBDMEphemeralSize(InvalidBDM):
    msg_fmt = ("Ephemeral disks requested are larger than the instance type allows. If no "
               "size is given in one block device mapping, flavor ephemeral size will be used.")


class InvalidBDMSwapSize(InvalidBDM):
    msg_fmt = "Swap drive requested is larger than instance type allows."


class InvalidBDMDiskBus(InvalidBDM):
    msg_fmt = "Block Device Mapping is invalid: The provided disk bus %(disk_bus)s is not valid."


class TooManyDiskDevices(InvalidBDM):
    msg_fmt = ("The maximum allowed number of disk devices (%(maximum)d) to attach to a single "
               "instance has been exceeded.")


class ValidationError(VirtblockError):
    """Nova API ``ValidationError`` (the JSON-schema check of a request body)."""
    msg_fmt = "%(detail)s"


class VolumeBDMNotFound(VirtblockError):
    msg_fmt = "No volume Block Device Mapping with id %(volume_id)s."


# --- Cinder: volumes and attachments (cinder/exception.py wording) ---

class InvalidVolumeAttachMode(VirtblockError):
    msg_fmt = "Invalid attaching mode '%(mode)s' for volume %(volume_id)s."


class VolumeAttached(VirtblockError):
    """Cinder ``VolumeAttached`` (raised by ``VolumeManager.delete_volume``)."""
    msg_fmt = "Volume %(volume_id)s is still attached, detach volume first."


class VolumeNotFound(VirtblockError):
    msg_fmt = "Volume %(volume_id)s could not be found."


class ImageUnacceptable(VirtblockError):
    msg_fmt = "Image %(image_id)s is unacceptable: %(reason)s"


class VolumeIsBusy(VirtblockError):
    """Cinder ``VolumeIsBusy``: its wording, or the driver's own ``message=`` (the RBD
    driver's ImageBusy text for an image with watchers)."""
    msg_fmt = "deleting volume %(volume_name)s that has snapshot"


class InvalidSnapshot(VirtblockError):
    msg_fmt = "Invalid snapshot: %(reason)s"


class SnapshotNotFound(VirtblockError):
    msg_fmt = "Snapshot %(snapshot_id)s could not be found."


class SnapshotIsBusy(VirtblockError):
    msg_fmt = "deleting snapshot %(snapshot_name)s that has dependent volumes"


class StoreError(VirtblockError):
    """The record store (database) is unusable: not a database, newer schema, ..."""
    msg_fmt = "The record store is unusable."


# --- Nova's, for the compute side (wording from nova/exception.py) ---

class InstanceNotFound(VirtblockError):
    msg_fmt = "Instance %(instance_id)s could not be found."


class HypervisorUnavailable(VirtblockError):
    # Nova's has no reason; ours says why the connection failed.
    msg_fmt = "Connection to the hypervisor is broken on host %(host)s: %(reason)s"


class InvalidVolumeAccessMode(VirtblockError):
    msg_fmt = "Invalid volume access mode: %(access_mode)s"


class VolumeDriverNotFound(VirtblockError):
    msg_fmt = "Could not find a handler for %(driver_type)s volume."


class DeviceDetachFailed(VirtblockError):
    msg_fmt = "Device detach failed for %(device)s: %(reason)s"


class VolumeAttachFailed(VirtblockError):
    msg_fmt = "Volume %(volume_id)s could not be attached. Reason: %(reason)s"


class VolumeDeviceNotFound(VirtblockError):
    """os-brick's ``VolumeDeviceNotFound``, with the cause added."""
    msg_fmt = "Volume device not found at %(device)s. %(reason)s"
