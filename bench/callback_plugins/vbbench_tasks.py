# -*- coding: utf-8 -*-
# Copyright: virtblock developers
# Apache License 2.0 (see LICENSE)
"""Bench-only callback: every task result of a run with its action, status and seconds,
written as JSON to VBBENCH_RECORD, so the bench knows the task shape a role really ran
(which module tasks and set_facts were not skipped) and each task's own time."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r'''
name: vbbench_tasks
type: aggregate
short_description: virtblock bench - record each task's action, status and time
description: See the module docstring.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "vbbench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []
        self.started = time.perf_counter()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started = time.perf_counter()

    def _record(self, result, status):
        res = result._result
        self.tasks.append({"task": result._task.get_name(), "action": result._task.action,
                           "status": status, "seconds": time.perf_counter() - self.started,
                           "items": len(res.get("results") or []) or None,
                           "pong": res.get("ping") == "pong",
                           "msg": None if result._task.no_log else res.get("msg")})
        self.started = time.perf_counter()

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "ignored" if ignore_errors else "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("VBBENCH_RECORD")
        if path:
            with open(path, "w") as handle:
                json.dump({"tasks": self.tasks, "stats": dict(
                    (h, stats.summarize(h)) for h in stats.processed)}, handle)
