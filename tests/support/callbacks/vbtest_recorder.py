# -*- coding: utf-8 -*-
"""Test-only callback: records what a run did, and injects faults.

- Writes ``VBTEST_RECORD`` (JSON) when the run ends: every task result per host (its
  name, status, whether the failure was ignored, the message an operator sees -
  "censored" for ``no_log`` - and the result itself as callbacks get it, no_log results
  already censored by ansible) and the final stats per host.
- ``VBTEST_FAULT_TASK`` + ``VBTEST_FAULT_COMMAND``: when a task whose name contains
  the first starts, the second runs (a shell command, once) - tgtd stopped, the domain
  destroyed, ... - so a fault hits exactly one step of an otherwise real run.
- ``VBTEST_FAULT_TASK`` + ``VBTEST_FAULT_KILL=1``: when that task starts, the record so
  far is written and ansible-playbook kills itself with SIGKILL (kill -9: no rescue, no
  handler, no cleanup runs) - the previous task done, this one not started.
- ``VBTEST_KILL_SKIP`` (a JSON list of task names): the same kill at the first step (a
  task that runs a module: not set_fact, include or debug, which change nothing outside
  the play) whose name is not in the list - a test walks every step of a playbook by
  adding each ``killed_at`` to the list.

It is an aggregate callback: the stdout callback stays ansible's default, so what a test
reads as ``stdout`` is what an operator sees.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import signal
import subprocess
import time

from ansible.plugins.callback import CallbackBase

# Tasks that change nothing outside the play: a kill at their start leaves the same state
# as a kill at the next step's.
NOT_STEPS = ("set_fact", "include_tasks", "include_role", "import_tasks", "import_role",
             "include_vars", "debug", "fail", "assert", "meta", "validate_argument_spec")

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
        self.started = time.perf_counter()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.started = time.perf_counter()
        wanted = os.environ.get("VBTEST_FAULT_TASK")
        skip = os.environ.get("VBTEST_KILL_SKIP")
        if skip is not None and task.action.rsplit(".", 1)[-1] not in NOT_STEPS \
                and task.get_name() not in json.loads(skip):
            self._kill(task)
        if wanted and not self.fault_done and wanted in task.get_name():
            self.fault_done = True
            if os.environ.get("VBTEST_FAULT_KILL"):
                self._kill(task)
            subprocess.run(os.environ["VBTEST_FAULT_COMMAND"], shell=True, check=True,
                           timeout=120, capture_output=True)

    def _kill(self, task):
        self._write(stats=None, killed_at=task.get_name())
        os.kill(os.getpid(), signal.SIGKILL)

    def _record(self, result, status, ignored=False):
        res = dict(result._result)
        if status == "ok" and res.get("changed"):
            status = "changed"
        # action, seconds (since the task or the previous result began) and items (a loop's
        # count) are what the benchmarks read: the task shape a role really ran and its cost.
        now = time.perf_counter()
        entry = {"task": result._task.get_name(), "host": result._host.get_name(),
                 "action": result._task.action, "seconds": now - self.started,
                 "items": len(res.get("results") or []) or None,
                 "status": status, "ignored": bool(ignored), "result": res}
        self.started = now
        if status in ("failed", "unreachable"):
            no_log = result._task.no_log or res.get("_ansible_no_log")
            entry["msg"] = "censored" if no_log else res.get("msg")
        self.tasks.append(entry)

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        self._write(dict((h, stats.summarize(h)) for h in sorted(stats.processed.keys())))

    def _write(self, stats, killed_at=None):
        path = os.environ.get("VBTEST_RECORD")
        if not path:
            return
        with open(path, "w") as handle:
            json.dump({"tasks": self.tasks, "stats": stats or {}, "killed_at": killed_at},
                      handle, default=str)
