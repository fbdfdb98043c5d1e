# -*- coding: utf-8 -*-
"""Test-only callback: records what a playbook run did, and injects faults.

- Writes ``VBTEST_RECORD`` (JSON): every task's name and status, the message of each
  failed task that is not ``no_log`` (what an operator sees), and the final stats.
- ``VBTEST_FAULT_TASK`` + ``VBTEST_FAULT_COMMAND``: when a task whose name contains
  the first starts, the second runs (a shell command, once) - tgtd stopped, the domain
  destroyed, ... - so a fault hits exactly one step of an otherwise real run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: vbtest_recorder
type: aggregate
short_description: virtblock tests - record a run, inject a fault at one step
description: See the module docstring.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vbtest_recorder"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []
        self.fault_done = False

    def v2_playbook_on_task_start(self, task, is_conditional):
        wanted = os.environ.get("VBTEST_FAULT_TASK")
        if wanted and not self.fault_done and wanted in task.get_name():
            self.fault_done = True
            subprocess.run(os.environ["VBTEST_FAULT_COMMAND"], shell=True, check=True,
                           timeout=120, capture_output=True)

    def _record(self, result, status):
        entry = {"task": result._task.get_name(), "status": status}
        if status == "changed" or status == "ok":
            entry["status"] = "changed" if result._result.get("changed") else "ok"
        if status == "failed":
            res = result._result
            no_log = result._task.no_log or res.get("_ansible_no_log")
            entry["msg"] = "censored" if no_log else res.get("msg")
            entry["ignored"] = bool(getattr(result, "_ignore_errors", False))
        self.tasks.append(entry)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")
        self.tasks[-1]["ignored"] = ignore_errors

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("VBTEST_RECORD")
        if not path:
            return
        hosts = sorted(stats.processed.keys())
        with open(path, "w") as handle:
            json.dump({"tasks": self.tasks,
                       "stats": dict((h, stats.summarize(h)) for h in hosts)}, handle)
