# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Rules: front-end QoS, from a volume's QoS specs to the guest disk's ``<iotune>``. Pure.

Two halves, as in OpenStack:

- Cinder (``VolumeManager._parse_connection_options``): only specs whose ``consumer`` is
  ``front-end`` or ``both`` reach ``connection_info.data.qos_specs``; a ``<option>_per_gb``
  value is multiplied by the volume's size in GiB, raised to ``<option>_per_gb_min`` and
  capped by ``<option>_max``, and replaces ``<option>``.
- Nova (``LibvirtBaseVolumeDriver.get_config``): the keys it copies into ``<iotune>``;
  any other key is ignored.

Where we differ, and why:

- libvirt also takes the burst lengths ``*_max_length`` (seconds a ``*_max`` burst may
  last); Nova does not pass them, so a QoS spec that sets them is silently weaker under
  Nova. We pass them.
- Nova hands libvirt whatever it gets and the attach fails inside QEMU when the values
  cannot go together (``total_*`` beside ``read_*``/``write_*``, a ``*_max`` without its
  base, a ``*_max_length`` without its ``*_max``, a ``*_max`` below its base). We refuse them
  here, with QEMU's reason, before anything is attached.
- Cinder's consumer is a property of the QoS spec entity; our ``qos_specs`` parameter is the
  spec's key/value pairs with its ``consumer`` as one more key (``front-end`` when absent,
  since the caller asked for it on the connection).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput

# Cinder's per-GB options (the same six in _parse_connection_options).
PER_GB_OPTIONS = ("read_iops_sec", "read_bytes_sec", "write_iops_sec", "write_bytes_sec",
                  "total_iops_sec", "total_bytes_sec")
FRONT_END_CONSUMERS = ("front-end", "both")
CONSUMERS = ("back-end",) + FRONT_END_CONSUMERS

# Nova's tune_opts (nova/virt/libvirt/volume/volume.py), then libvirt's burst lengths.
NOVA_TUNE_KEYS = ("total_bytes_sec", "read_bytes_sec", "write_bytes_sec",
                  "total_iops_sec", "read_iops_sec", "write_iops_sec",
                  "read_bytes_sec_max", "read_iops_sec_max", "write_bytes_sec_max",
                  "write_iops_sec_max", "total_bytes_sec_max", "total_iops_sec_max",
                  "size_iops_sec")
MAX_LENGTH_KEYS = tuple("%s_max_length" % option for option in PER_GB_OPTIONS)
TUNE_KEYS = NOVA_TUNE_KEYS + MAX_LENGTH_KEYS

# QEMU's throttle limit (THROTTLE_VALUE_MAX, 1e15); above it QEMU refuses the value.
VALUE_MAX = 10 ** 15
GIB = 1 << 30


def _whole(key, value):
    if isinstance(value, bool):
        raise InvalidInput("qos_specs %s=%r is not a whole number" % (key, value))
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput("qos_specs %s=%r is not a whole number" % (key, value))
    if number < 0:
        raise InvalidInput("qos_specs %s must not be negative" % key)
    if number > VALUE_MAX:
        raise InvalidInput("qos_specs %s=%d is above %d, QEMU's limit" % (key, number, VALUE_MAX))
    return number


def size_gib(size_bytes):
    """Cinder's ``volume.size``: whole GiB, rounded up, at least 1."""
    return max(1, -(-int(size_bytes) // GIB))


def front_end_specs(qos_specs, volume_size_gib):
    """The ``qos_specs`` Cinder puts in ``connection_info.data`` (None for none)."""
    if not qos_specs:
        return None
    if not isinstance(qos_specs, dict):
        raise InvalidInput("qos_specs must be a dict of QoS spec keys and values")
    specs = dict(qos_specs)
    consumer = specs.pop("consumer", "front-end")
    if consumer not in CONSUMERS:
        raise InvalidInput("qos_specs consumer %r is not one of %s" % (consumer, ", ".join(CONSUMERS)))
    if consumer not in FRONT_END_CONSUMERS:
        return None
    for option in PER_GB_OPTIONS:
        per_gb = "%s_per_gb" % option
        if per_gb in specs:
            minimum = _whole(per_gb + "_min", specs.pop(per_gb + "_min", 0))
            value = max(minimum, _whole(per_gb, specs.pop(per_gb)) * int(volume_size_gib))
            specs[option] = min(value, _whole(option + "_max", specs.pop(option + "_max", value)))
    iotune(specs)   # values the compute side would refuse fail here, before any export
    return specs or None


def iotune(qos_specs):
    """(the ``<iotune>`` values, the keys ignored as Nova ignores them)."""
    if not qos_specs:
        return {}, []
    if not isinstance(qos_specs, dict):
        raise InvalidInput("connection_info data.qos_specs must be a dict")
    tune = dict((key, _whole(key, value)) for key, value in qos_specs.items() if key in TUNE_KEYS)
    ignored = sorted(key for key in qos_specs if key not in TUNE_KEYS)
    _check_together(tune)
    return tune, ignored


def _check_together(tune):
    """QEMU's throttle_is_valid(), said before libvirt and QEMU are asked."""
    for kind in ("bytes_sec", "iops_sec"):
        if tune.get("total_" + kind) and (tune.get("read_" + kind) or tune.get("write_" + kind)):
            raise InvalidInput("qos_specs total_%s cannot be set together with read_%s or "
                               "write_%s" % (kind, kind, kind))
    for option in PER_GB_OPTIONS:
        base, burst, length = tune.get(option), tune.get(option + "_max"), tune.get(option + "_max_length")
        if burst and not base:
            raise InvalidInput("qos_specs %s_max needs %s" % (option, option))
        if burst and burst < base:
            raise InvalidInput("qos_specs %s_max must not be below %s" % (option, option))
        if length and length > 1 and not burst:
            raise InvalidInput("qos_specs %s_max_length needs %s_max" % (option, option))
