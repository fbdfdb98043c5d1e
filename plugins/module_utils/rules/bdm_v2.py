# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: Nova's ``block_device_mapping_v2`` checks for a server create request. Pure, no I/O.

In Nova's order:

1. the API's JSON schema for each item (unknown keys, ``source_type`` one of volume, image,
   snapshot, blank, ``destination_type`` one of local, volume, ids, sizes, boot index):
   ``ValidationError`` with the API's "Invalid input for field/attribute ..." wording;
2. ``BlockDeviceDict.from_api`` (``uuid`` goes to ``<source>_id``; blank with a uuid and a
   non-blank source without one refused; image to local only as the ``--image`` root with
   boot index 0; ``volume_type`` with a local destination or an existing volume refused);
   ``BlockDeviceDict._validate`` (device name, size, boot index): ``InvalidBDMFormat``;
3. the compute API's ``_check_and_transform_bdm`` and ``_validate_bdm``: the image root
   mapping added when an image is given and no mapping boots at index 0; boot indexes
   0..n-1 without a gap (``InvalidBDMBootSequence``); image and blank volumes need a size
   (``InvalidBDM``); disk bus known (``InvalidBDMDiskBus``); ephemeral and swap sizes within
   the flavor (when one is given); one swap at most; ``max_local_block_devices``.

Checks that need Cinder or Glance (the volume, snapshot or image exists) are the caller's.
The six source/destination pairs Nova gives meaning to are the ``KINDS`` below; volume
to local and snapshot to local have none and are refused like image to local.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.device_names import (
    DISK_BUSES, prepend_dev)
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import (
    ValidationError, InvalidBDM, InvalidBDMFormat, InvalidBDMBootSequence, InvalidBDMDiskBus,
    InvalidBDMEphemeralSize, InvalidBDMSwapSize, InvalidBDMLocalsLimit)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import _UUID_RE

SOURCE_TYPES = ("volume", "image", "snapshot", "blank")
DESTINATION_TYPES = ("local", "volume")

# The fields a normalised mapping carries (Nova's bdm_new_fields, plus volume_type).
FIELDS = ("source_type", "destination_type", "guest_format", "device_type", "disk_bus",
          "boot_index", "device_name", "delete_on_termination", "snapshot_id", "volume_id",
          "volume_size", "image_id", "no_device", "tag", "volume_type")
API_FIELDS = ("source_type", "destination_type", "guest_format", "device_type", "disk_bus",
              "boot_index", "device_name", "delete_on_termination", "uuid", "volume_size",
              "no_device", "tag", "volume_type")

_BOOL_STRINGS = {"1": True, "t": True, "true": True, "on": True, "y": True, "yes": True,
                 "0": False, "f": False, "false": False, "off": False, "n": False, "no": False}
_INT_RE = re.compile(r"^-?[0-9]+$")
_TAG_RE = re.compile(r"^[^,/]*$")


def kind(bdm):
    """What a mapping is: volume, snapshot, image, blank (all Cinder volumes), local_image,
    swap or ephemeral (disks on the compute host); None when Nova gives the pair no meaning."""
    source, dest = bdm.get("source_type"), bdm.get("destination_type")
    if dest == "volume" and source in ("volume", "snapshot", "image", "blank"):
        return source
    if dest == "local" and source == "image":
        return "local_image"
    if dest == "local" and source == "blank":
        return "swap" if bdm.get("guest_format") == "swap" else "ephemeral"
    return None


def flavor_defined_bdms(flavor, bdms):
    """Nova ``compute/api.py:API._get_flavor_defined_bdms``: the flavor's ephemeral disk and
    swap, as ``block_device.create_blank_bdm`` makes them, when no mapping of the request
    already is one (``new_format_is_ephemeral`` / ``new_format_is_swap``). Swap sizes are MiB.

    Nova's compute then names them ``disk.eph0`` and ``disk.swap`` (the libvirt driver's
    ``disk.local`` is only for an instance without any ephemeral mapping, which the API never
    leaves when the flavor has ephemeral space)."""
    kinds = set(bdm.get("kind") or kind(bdm) for bdm in bdms)
    added = []
    for size, fmt, what in ((flavor.get("ephemeral_gb"), None, "ephemeral"),
                            (flavor.get("swap"), "swap", "swap")):
        if size and int(size) > 0 and what not in kinds:
            bdm = {"source_type": "blank", "destination_type": "local", "device_type": "disk",
                   "boot_index": -1, "delete_on_termination": True, "guest_format": fmt,
                   "volume_size": int(size), "flavor_defined": True}
            bdm["kind"] = kind(bdm)
            added.append(bdm)
    return added


def _invalid(path, value, message):
    return ValidationError("Invalid input for field/attribute %s. Value: %s. %s"
                           % (path, value, message))


def _check_schema(index, item):
    """The API schema of one ``block_device_mapping_v2`` item."""
    base = "block_device_mapping_v2[%d]" % index
    if not isinstance(item, dict):
        raise _invalid(base, item, "%r is not of type 'object'" % (item,))
    extra = sorted(key for key in item if key not in API_FIELDS)
    if extra:
        raise ValidationError("Invalid input for field/attribute %s. Value: %s. Additional "
                              "properties are not allowed (%s %s unexpected)"
                              % (base, item, ", ".join(repr(k) for k in extra),
                                 "was" if len(extra) == 1 else "were"))
    for field, choices in (("source_type", SOURCE_TYPES), ("destination_type", DESTINATION_TYPES)):
        value = item.get(field)
        if value is not None and value not in choices:
            raise _invalid("%s.%s" % (base, field), value,
                           "%r is not one of %s" % (value, list(choices)))
    uuid = item.get("uuid")
    if uuid is not None and not (isinstance(uuid, str) and _UUID_RE.match(uuid.lower())):
        raise _invalid("%s.uuid" % base, uuid, "%r is not a 'uuid'" % (uuid,))
    for field in ("boot_index", "volume_size"):
        value = item.get(field)
        if value is None or isinstance(value, bool):
            if isinstance(value, bool):
                raise _invalid("%s.%s" % (base, field), value, "%r is not of type 'integer'" % value)
            continue
        if not (isinstance(value, int) or (isinstance(value, str) and _INT_RE.match(value))):
            raise _invalid("%s.%s" % (base, field), value,
                           "%r is not valid under any of the given schemas" % (value,))
        if field == "volume_size" and int(value) < 1:
            raise _invalid("%s.%s" % (base, field), value,
                           "%s is less than the minimum of 1" % value)
    dot = item.get("delete_on_termination")
    if dot is not None and not isinstance(dot, bool) and str(dot).lower() not in _BOOL_STRINGS:
        raise _invalid("%s.delete_on_termination" % base, dot,
                       "%r is not valid under any of the given schemas" % (dot,))
    tag = item.get("tag")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 60 or not _TAG_RE.match(tag)):
        raise _invalid("%s.tag" % base, tag, "%r does not match '^[^,/]*$' or is longer than 60"
                       % (tag,))
    for field in ("guest_format", "device_type", "disk_bus", "volume_type", "device_name"):
        value = item.get(field)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            raise _invalid("%s.%s" % (base, field), value, "%r is not of type 'string'"
                           " or is longer than 255" % (value,))


def _from_api(item, image_uuid_specified):
    """``BlockDeviceDict.from_api`` then ``_validate``; returns the normalised dict."""
    bdm = dict(item)
    if not bdm.get("no_device"):
        source = bdm.get("source_type")
        dest = bdm.get("destination_type")
        device_uuid = bdm.get("uuid")
        if source is None:
            raise InvalidBDMFormat("Some required fields are missing")
        if dest is None:
            # Not in Nova's API contract; default as the clients do for the common cases.
            dest = bdm["destination_type"] = "volume" if source in ("volume", "snapshot") else "local"
        if source == "blank" and device_uuid:
            raise InvalidBDMFormat("Invalid device UUID.")
        if source != "blank":
            if not device_uuid:
                raise InvalidBDMFormat("Missing device UUID.")
            bdm[source + "_id"] = device_uuid.lower()
        boot_index = bdm.get("boot_index")
        boot_index = -1 if boot_index is None else int(boot_index)
        if dest == "local" and source == "image":
            if not (image_uuid_specified and boot_index == 0):
                raise InvalidBDMFormat("Mapping image to local is not supported.")
        elif dest == "local" and source in ("volume", "snapshot"):
            raise InvalidBDMFormat("Mapping %s to local is not supported." % source)
        if dest == "local" and bdm.get("volume_type"):
            raise InvalidBDMFormat("Specifying a volume_type with destination_type=local is "
                                   "not supported.")
        if source == "volume" and bdm.get("volume_type"):
            raise InvalidBDMFormat("Specifying volume type to existing volume is not supported.")
    bdm.pop("uuid", None)

    if bdm.get("device_name") is not None:
        name = bdm["device_name"]
        if not 1 <= len(name) <= 255:
            raise InvalidBDMFormat("Device name empty or too long.")
        if " " in name:
            raise InvalidBDMFormat("Device name contains spaces.")
        bdm["device_name"] = prepend_dev(name)
    if bdm.get("volume_size") is not None:
        bdm["volume_size"] = int(bdm["volume_size"])
    if bdm.get("boot_index") is not None:
        bdm["boot_index"] = int(bdm["boot_index"])
    dot = bdm.get("delete_on_termination")
    bdm["delete_on_termination"] = dot if isinstance(dot, bool) else \
        _BOOL_STRINGS.get(str(dot).lower(), False) if dot is not None else False
    out = dict((field, bdm.get(field)) for field in FIELDS)
    out["delete_on_termination"] = bool(out["delete_on_termination"])
    return out


def image_root_mapping(image_ref):
    """Nova's ``create_image_bdm``: the image as the local root disk."""
    return {"source_type": "image", "destination_type": "local", "image_id": image_ref,
            "delete_on_termination": True, "boot_index": 0, "device_type": "disk",
            "guest_format": None, "disk_bus": None, "device_name": None, "snapshot_id": None,
            "volume_id": None, "volume_size": None, "no_device": None, "tag": None,
            "volume_type": None}


def validate_bdm_v2(mappings, image_ref=None, flavor=None, max_local_block_devices=3):
    """Validate and normalise a server's ``block_device_mapping_v2``.

    *image_ref*: the server's ``imageRef`` (None or "" for boot from volume). *flavor*: a dict
    with ``ephemeral_gb`` and ``swap`` (MiB) to check sizes against, or None to skip that.
    Returns the list of normalised mappings, each with its ``kind``, in boot order first
    (as given otherwise); raises Nova's error on the first problem.
    """
    if mappings is None:
        mappings = []
    if not isinstance(mappings, list):
        raise _invalid("block_device_mapping_v2", mappings, "%r is not of type 'array'" % (mappings,))
    if image_ref:
        if not (isinstance(image_ref, str) and _UUID_RE.match(image_ref.lower())):
            raise _invalid("imageRef", image_ref, "%r is not a 'uuid'" % (image_ref,))
        image_ref = image_ref.lower()
    for index, item in enumerate(mappings):
        _check_schema(index, item)
    bdms = [_from_api(item, bool(image_ref)) for item in mappings]

    live = [bdm for bdm in bdms if not bdm.get("no_device")]
    if image_ref and not any(bdm.get("boot_index") == 0 for bdm in live):
        live.insert(0, image_root_mapping(image_ref))

    boot_indexes = sorted(bdm["boot_index"] for bdm in live
                          if bdm.get("boot_index") is not None and bdm["boot_index"] >= 0)
    if not boot_indexes or any(i != v for i, v in enumerate(boot_indexes)):
        raise InvalidBDMBootSequence()

    for bdm in live:
        if bdm["source_type"] == "image" and bdm["destination_type"] == "volume" \
                and not bdm.get("volume_size"):
            raise InvalidBDM("Images with destination_type 'volume' need to have a non-zero "
                             "size specified")
        if bdm["source_type"] == "blank" and bdm["destination_type"] == "volume" \
                and not bdm.get("volume_size"):
            raise InvalidBDM("Blank volumes (source: 'blank', dest: 'volume') need to have "
                             "non-zero size")
        if bdm.get("disk_bus") and bdm["disk_bus"] not in DISK_BUSES:
            raise InvalidBDMDiskBus(bdm["disk_bus"])

    for bdm in live:
        bdm["kind"] = kind(bdm)
    if flavor is not None:
        live.extend(flavor_defined_bdms(flavor, live))

    if flavor is not None:
        flavor_ephemeral = int(flavor.get("ephemeral_gb") or 0)
        ephemeral = sum(bdm.get("volume_size") or flavor_ephemeral
                        for bdm in live if bdm["kind"] == "ephemeral")
        if ephemeral > flavor_ephemeral:
            raise InvalidBDMEphemeralSize()
    swaps = [bdm for bdm in live if bdm["kind"] == "swap"]
    if len(swaps) > 1:
        raise InvalidBDMFormat("More than one swap drive requested.")
    if swaps and flavor is not None:
        if (swaps[0].get("volume_size") or 0) > int(flavor.get("swap") or 0):
            raise InvalidBDMSwapSize()

    if max_local_block_devices is not None and max_local_block_devices >= 0:
        if len([bdm for bdm in live if bdm["destination_type"] == "local"]) > max_local_block_devices:
            raise InvalidBDMLocalsLimit()

    def order(bdm):
        index = bdm.get("boot_index")
        return (0, index) if index is not None and index >= 0 else (1, 0)
    return sorted(live, key=order)
