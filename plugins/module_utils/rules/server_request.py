# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: A Nova-style server create request and the disks it gives the instance. Pure, no I/O.

``validate_request`` is nova-api's part of ``POST /servers`` for what this collection
takes: ``name``, ``memory`` (MiB) and ``vcpus`` (the flavor's, given directly: there is
no flavor table here), ``image`` (imageRef), ``networks``, ``block_device_mapping_v2``
(checked by ``bdm_v2.validate_bdm_v2``), and the direct kernel boot fields ``kernel``,
``ramdisk``, ``cmdline`` (Nova's image properties ``kernel_id``/``ramdisk_id``/
``os_command_line``; our stand-in for a bootloader). Everything is checked before
anything is created.

``plan_disks`` is nova-compute's ``blockinfo.get_disk_mapping`` + the ids Nova and
Cinder would hand out: the root disk (boot index 0) is ``<prefix>a``, then the
ephemeral disks, the swap disk and the other volumes take the next free names in that
order; local disks get Nova's file names in the instance directory (``disk``,
``disk.eph0``, ``disk.swap``).

Where we differ from Nova, on purpose: the instance uuid (when not given) and the ids of
the volumes the request makes are derived from the request (uuid5), not random, so a
rerun of the same request finds what the first run made and changes nothing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import uuid

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.bdm_v2 import validate_bdm_v2
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    dev_prefix_for_disk_bus, next_device_name, prepend_dev, strip_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    DevicePathInUse, ValidationError)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import _UUID_RE
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.parameter_types import (
    MAX_INT, NIC_MODELS)

# uuid5 namespace of the ids this collection derives (instance and new volume ids).
NAMESPACE = uuid.UUID("0c1c8f1e-3a52-5d0e-9b61-7a3f0e1d2b4c")
FIELDS = ("name", "uuid", "memory", "vcpus", "image", "networks", "block_device_mapping_v2",
          "kernel", "ramdisk", "cmdline", "flavor", "disk_bus", "max_local_block_devices")
VOLUME_KINDS = ("volume", "snapshot", "image", "blank")
LOCAL_KINDS = ("local_image", "ephemeral", "swap")
NETWORK_TYPES = ("user",)


def _invalid(field, value, message):
    return ValidationError("Invalid input for field/attribute %s. Value: %s. %s"
                           % (field, value, message))


def _positive_int(request, field):
    value = request.get(field)
    if value is None:
        raise ValidationError("Invalid input for field/attribute server. Value: %s. "
                              "'%s' is a required property" % (sorted(request), field))
    if isinstance(value, bool) or not (isinstance(value, int) or str(value).isdigit()):
        raise _invalid(field, value, "%r is not of type 'integer'" % (value,))
    if int(value) < 1:
        raise _invalid(field, value, "%s is less than the minimum of 1" % value)
    if int(value) > MAX_INT:
        # Nova's flavor ram/vcpus bound (nova/db/constants.py MAX_INT).
        raise _invalid(field, value, "%s is greater than the maximum of %d" % (value, MAX_INT))
    return int(value)


def _networks(value):
    """``none`` (or nothing): no NIC, Nova's ``networks: none``. A list of ``{type: user}``:
    QEMU user-mode NICs, which touch no host network (no bridge on these machines)."""
    if value is None or value == "none":
        return []
    if value == "auto":
        raise _invalid("networks", value, "'auto' needs Neutron; use 'none' or "
                       "[{'type': 'user'}]")
    if not isinstance(value, list):
        raise _invalid("networks", value, "%r is not one of ['none'] or an array" % (value,))
    out = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or item.get("type") not in NETWORK_TYPES:
            raise _invalid("networks[%d]" % index, item,
                           "only {'type': 'user'} networks are supported here")
        extra = sorted(set(item) - set(("type", "model")))
        if extra:
            raise _invalid("networks[%d]" % index, item, "Additional properties are not allowed "
                           "(%s unexpected)" % ", ".join(repr(k) for k in extra))
        model = item.get("model") or "virtio"
        if model not in NIC_MODELS:
            # Nova's hw_vif_model: is_vif_model_valid_for_virt refuses any other.
            raise _invalid("networks[%d].model" % index, model, "%r is not one of %s"
                           % (model, ", ".join(NIC_MODELS)))
        out.append({"type": item["type"], "model": model})
    return out


def validate_request(request):
    """The normalised request, or Nova's ValidationError / InvalidBDM* on the first problem."""
    if not isinstance(request, dict):
        raise _invalid("server", request, "%r is not of type 'object'" % (request,))
    extra = sorted(key for key in request if key not in FIELDS)
    if extra:
        raise ValidationError("Invalid input for field/attribute server. Value: %s. Additional "
                              "properties are not allowed (%s %s unexpected)"
                              % (sorted(request), ", ".join(repr(k) for k in extra),
                                 "was" if len(extra) == 1 else "were"))
    name = request.get("name")
    if (not isinstance(name, str) or not name.strip() or len(name) > 255 or name != name.strip()
            or any(ord(char) < 32 or ord(char) == 127 for char in name)):
        raise _invalid("name", name, "%r does not match the server name rules (1-255 "
                       "characters, no leading or trailing whitespace)" % (name,))
    instance_uuid = request.get("uuid")
    if instance_uuid is not None:
        if not (isinstance(instance_uuid, str) and _UUID_RE.match(instance_uuid.lower())):
            raise _invalid("uuid", instance_uuid, "%r is not a 'uuid'" % (instance_uuid,))
        instance_uuid = instance_uuid.lower()
    else:
        instance_uuid = derived_instance_uuid(name)
    memory = _positive_int(request, "memory")
    vcpus = _positive_int(request, "vcpus")
    disk_bus = request.get("disk_bus") or "virtio"
    dev_prefix_for_disk_bus(disk_bus)
    for field in ("kernel", "ramdisk", "cmdline"):
        value = request.get(field)
        if value is not None and not isinstance(value, str):
            raise _invalid(field, value, "%r is not of type 'string'" % (value,))
        if value and any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise _invalid(field, value, "control characters (newlines) are not allowed")
        if value and field != "cmdline" and not value.startswith("/"):
            raise _invalid(field, value, "%r is not an absolute path on the compute host" % (value,))
    if request.get("ramdisk") and not request.get("kernel"):
        raise _invalid("ramdisk", request["ramdisk"], "a ramdisk needs a kernel")
    networks = _networks(request.get("networks"))
    max_locals = request.get("max_local_block_devices")
    if max_locals is not None:
        # nova.conf max_local_block_devices: -1 (no limit) or a count.
        if isinstance(max_locals, bool) or not str(max_locals).lstrip("-").isdigit() \
                or not -1 <= int(max_locals) <= MAX_INT:
            raise _invalid("max_local_block_devices", max_locals, "must be -1 or a whole number")
    bdms = validate_bdm_v2(request.get("block_device_mapping_v2"), image_ref=request.get("image"),
                           flavor=request.get("flavor"),
                           max_local_block_devices=3 if max_locals is None else int(max_locals))
    return {"name": name, "uuid": instance_uuid, "memory": memory, "vcpus": vcpus,
            "image": (request.get("image") or "").lower() or None,
            "networks": networks, "disk_bus": disk_bus,
            "kernel": request.get("kernel"), "ramdisk": request.get("ramdisk"),
            "cmdline": request.get("cmdline"), "block_device_mapping_v2": bdms}


def derived_instance_uuid(name):
    """The uuid of a server requested without one (stable for its name)."""
    if not isinstance(name, str) or not name.strip():
        raise _invalid("name", name, "%r is not a server name" % (name,))
    return str(uuid.uuid5(NAMESPACE, "instance:" + name))


def new_volume_id(instance_uuid, position):
    """The id of the volume the request's mapping at *position* makes (stable on reruns)."""
    return str(uuid.uuid5(NAMESPACE, "volume:%s:%d" % (instance_uuid, position)))


def _local_name(kind, counts):
    if kind == "local_image":
        return "disk"
    if kind == "swap":
        return "disk.swap"
    name = "disk.eph%d" % counts["ephemeral"]
    counts["ephemeral"] += 1
    return name


def plan_disks(server, existing_rows=(), instances_path="/var/lib/virtblock/instances",
               images_dir="/var/lib/virtblock/images"):
    """The instance's disks from a ``validate_request`` result, in Nova's mapping order.

    *existing_rows*: the instance's live BDM rows in the store. Rows of volumes the request
    does not name (reserved by an attach while the instance was shelved) keep their device
    names and come back in ``unshelve`` to be wired in. Returns ``{"disks": [...],
    "unshelve": [...], "instance_dir": ...}``; each disk has the BDM fields plus
    ``device_name``, ``disk_bus``, and ``volume_id`` (volumes) or ``path`` (local disks).
    """
    instance_uuid = server["uuid"]
    bdms = server["block_device_mapping_v2"]
    instance_dir = "%s/%s" % (instances_path.rstrip("/"), instance_uuid)
    disks = []
    for position, bdm in enumerate(bdms):
        disk = dict(bdm)
        disk["disk_bus"] = bdm.get("disk_bus") or server["disk_bus"]
        if bdm["kind"] == "volume":
            disk["volume_id"] = bdm["volume_id"]
        elif bdm["kind"] in VOLUME_KINDS:
            disk["volume_id"] = new_volume_id(instance_uuid, position)
        if bdm.get("image_id"):
            disk["image_path"] = "%s/%s" % (images_dir.rstrip("/"), bdm["image_id"])
        disks.append(disk)
    ours = set(d.get("volume_id") for d in disks if d.get("volume_id"))
    unshelve = [dict(row) for row in existing_rows
                if row.get("volume_id") and row["volume_id"] not in ours
                and (row.get("destination_type") or "volume") == "volume"]
    taken = [strip_dev(row["device_name"]) for row in unshelve if row.get("device_name")]

    # Nova's order: root, ephemerals, swap, then the other volumes; requested names first.
    def rank(disk):
        if disk.get("boot_index") == 0:
            return 0
        return {"ephemeral": 1, "swap": 2}.get(disk["kind"], 3)
    for disk in disks:
        if disk.get("device_name"):
            name = strip_dev(disk["device_name"])
            if name in taken:
                raise DevicePathInUse(disk["device_name"])
            taken.append(name)
    counts = {"ephemeral": 0}
    for disk in sorted(disks, key=rank):
        if disk["kind"] in LOCAL_KINDS:
            disk["local_name"] = _local_name(disk["kind"], counts)
            disk["path"] = "%s/%s" % (instance_dir, disk["local_name"])
        if disk.get("device_name"):
            continue
        if disk.get("boot_index") == 0 and dev_prefix_for_disk_bus(disk["disk_bus"]) + "a" not in taken:
            name = "/dev/%sa" % dev_prefix_for_disk_bus(disk["disk_bus"])
        else:
            name = next_device_name(disk["disk_bus"], taken)
        disk["device_name"] = name
        taken.append(strip_dev(name))
    for disk in disks:
        disk["device_name"] = prepend_dev(disk["device_name"])
    return {"disks": disks, "unshelve": unshelve, "instance_dir": instance_dir}
