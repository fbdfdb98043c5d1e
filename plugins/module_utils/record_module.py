# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""What the record modules share: the store options and opening the store."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.parameter_types import (
    MAX_INT, bounded_int, plain_text)
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.chap import mask_chap_user
from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.batch import batch_result, merged, run_items
from ansible_collections.virtblock.volumes.plugins.module_utils.drivers import records
from ansible_collections.virtblock.volumes.plugins.module_utils.errors import InvalidInput
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import (
    Store, STORE_ARGUMENT_SPEC)


# Nova's API limits where it sets one (parameter_types.tag: 1-60 characters, no ',' or '/';
# device_name 255), else the column's: the same input is refused on SQLite (which would
# store 300 characters in a VARCHAR(255)) as on PostgreSQL and MySQL.
STRING_LIMITS = {"tag": 60, "device_name": 255, "guest_format": 255, "volume_type": 255,
                 "image_id": 36, "snapshot_id": 36, "host": 255, "mountpoint": 255,
                 "display_name": 255, "display_description": 255}
# Integer columns are 32-bit on PostgreSQL and MySQL.
INT_LIMITS = {"boot_index": (-MAX_INT - 1, MAX_INT), "volume_size": (1, MAX_INT), "size": (0, MAX_INT),
              "max_disk_devices_to_attach": (-1, MAX_INT)}
_TAG_RE = re.compile(r"^[^,/]*$")


def check_limits(params):
    for key, limit in STRING_LIMITS.items():
        value = params.get(key)
        if value is not None:
            plain_text(value, key, limit)
    if params.get("tag") is not None and (not params["tag"] or not _TAG_RE.match(params["tag"])):
        raise InvalidInput("tag %r must be 1-60 characters without ',' or '/'" % (params["tag"],))
    for key, (low, high) in INT_LIMITS.items():
        if params.get(key) is not None:
            params[key] = bounded_int(params[key], key, low, high)


class RecordModule(VirtblockModule):
    """A module that reads or writes the record store."""

    record_spec = {}

    def __init__(self):
        # The module's own options (its ``spec``, defined once in module_utils: drivers/records.py)
        # plus the store's, which every record module takes (the ``store`` action group).
        if self.spec is not None:
            self.spec = dict(self.spec, argument_spec=dict(STORE_ARGUMENT_SPEC, **self.spec["argument_spec"]))
        else:
            self.argument_spec = dict(STORE_ARGUMENT_SPEC, **self.record_spec)
        super(RecordModule, self).__init__()

    def in_one_transaction(self, items, operate, locks, dry_run=None):
        """A batch (module_utils/batch.py) in ONE store transaction: ``operate(tx, params)``
        -> result for each item, each inside its own savepoint, so a volume refused is
        rolled back alone and the others' rows are kept. *locks*: ``locks(batch)``."""
        batch = [self.checked_params(merged(self.params, item)) for item in items]
        results, failed = self.store().run(
            lambda tx: run_items(batch, lambda params: records.in_savepoint(tx, lambda: operate(tx, params)),
                                 ours_only=True),
            lock=locks(batch), dry_run=self.check_mode if dry_run is None else dry_run)
        return batch_result(results, failed)

    def store(self):
        return Store(url=self.params["db_url"], path=self.params["db_path"],
                     password=self.params["db_password"],
                     timeout=bounded_int(self.params["db_timeout"], "db_timeout", 1, 3600))

    def checked_params(self, params=None):
        """The parameters (default the task's), with every id given checked and lower-cased
        (canonical UUIDs)."""
        params = dict(self.params if params is None else params)
        for key in ("instance_uuid", "volume_id", "attachment_id"):
            if params.get(key) is not None:
                params[key] = validate_uuid(params[key], what=key)
        check_limits(params)
        return params

    def diff(self, before, after):
        return {"before": before or {}, "after": after or {}} if self.diff_mode else None

    def result(self, changed, before, after, **extra):
        result = dict(changed=changed, **extra)
        diff = self.diff(before, after)
        if diff is not None:
            result["diff"] = diff
        return result

    @staticmethod
    def row_out(row):
        """A BDM row for output: connection_info as a dict."""
        if row is None:
            return None
        row = dict(row)
        if row.get("connection_info"):
            row["connection_info"] = mask_chap_user(json.loads(row["connection_info"]))
        return row
