# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""What the record modules share: the store options and opening the store."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.virtblock.volumes.plugins.module_utils.base import VirtblockModule
from ansible_collections.virtblock.volumes.plugins.module_utils.rules.identifiers import validate_uuid
from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import (
    Store, STORE_ARGUMENT_SPEC)


class RecordModule(VirtblockModule):
    """A module that reads or writes the record store."""

    record_spec = {}

    def __init__(self):
        self.argument_spec = dict(STORE_ARGUMENT_SPEC, **self.record_spec)
        super(RecordModule, self).__init__()

    def store(self):
        return Store(url=self.params["db_url"], path=self.params["db_path"],
                     password=self.params["db_password"], timeout=self.params["db_timeout"])

    def checked_params(self):
        """The parameters, with every id given checked and lower-cased (canonical UUIDs)."""
        params = dict(self.params)
        for key in ("instance_uuid", "volume_id", "attachment_id"):
            if params.get(key) is not None:
                params[key] = validate_uuid(params[key], what=key)
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
            row["connection_info"] = json.loads(row["connection_info"])
        return row
