"""The one way the tests and the benchmarks run Ansible.

Everything goes through ``ansible-playbook`` with ansible's default stdout callback (so
``stdout`` is what an operator sees) and the aggregate callback ``vbtest_recorder``
(``callbacks/``), which writes every task result and the stats to a JSON file. One module
call is a one-task playbook on the implicit localhost: the action plugin renders its
template on the controller as in a real play. No deprecated callback (``tree``) is used.

One result shape, :class:`Run`:

- ``rc``: ansible-playbook's exit code;
- ``stdout``: what it printed (stdout, then stderr);
- ``tasks``: one entry per task and host, in order: ``task`` (name), ``host``, ``status``
  (ok, changed, failed, skipped, unreachable), ``ignored`` (a failure with ignore_errors),
  ``msg`` (of a failure; "censored" for no_log) and ``result`` (the task's return values);
- ``stats``: the recap per host; ``changed`` and ``failed``: counts over the hosts -
  ``failed`` counts failed tasks that were neither ignored nor rescued and unreachable
  hosts, and is at least 1 whenever ``rc`` is not 0 (ansible stopped on an error of its own);
- ``msg``: the message of the last failed task that was not ignored;
- ``seconds``: wall-clock time of the run (for bench/, never for assertions);
- ``killed_at``: the task at whose start a ``kill_at`` run was killed (kill -9), else None.

:func:`run_module` returns the single task's ``result`` dict of such a run, with
``failed`` always set and the run's ``rc``/``stdout``/``seconds`` under
``_rc``/``_stdout``/``_seconds``.
"""

import json
import os
import subprocess
import tempfile
import time

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callbacks")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")


class Run(object):
    """What one ansible-playbook run did (see the module docstring)."""

    def __init__(self, rc, stdout, record, seconds):
        self.rc = rc
        self.stdout = stdout
        self.tasks = record["tasks"]
        self.stats = record["stats"]
        self.seconds = seconds
        self.killed_at = record.get("killed_at")
        self.changed = sum(s.get("changed", 0) for s in self.stats.values())
        failed = sum(s.get("failures", 0) + s.get("unreachable", 0) for s in self.stats.values())
        self.failed = max(failed, 1 if rc != 0 else 0)
        failures = [t for t in self.tasks if t["status"] in ("failed", "unreachable")
                    and not t["ignored"]]
        self.msg = failures[-1].get("msg") if failures else None

    @property
    def ok(self):
        return self.rc == 0 and self.failed == 0

    def task_results(self, name_part):
        """The results (all hosts) of the tasks whose name contains *name_part*."""
        return [t["result"] for t in self.tasks if name_part in t["task"]]

    def messages(self):
        """The messages of every failed task, ignored ones too, one a line."""
        return "\n".join(str(t["result"].get("msg", "")) for t in self.tasks
                         if t["status"] in ("failed", "unreachable"))

    def __repr__(self):
        return "Run(rc=%d, changed=%d, failed=%d, msg=%r)" % (self.rc, self.changed, self.failed,
                                                              self.msg)


def run_playbook(playbook, extra_vars=None, check=False, diff=False, fault_at=None,
                 fault_command=None, inventory=None, verbosity=0, env=None, cwd=None,
                 timeout=600, kill_at=None):
    """Run *playbook* (a path, or a name under ``playbooks/``) with *extra_vars*.

    No *inventory*: the implicit localhost (local connection, the controller's Python).
    *fault_at*: a task name (part of it); *fault_command* runs in a shell as it starts.
    *kill_at*: a task name (part of it); ansible-playbook is killed (SIGKILL) as it starts;
    or a list of task names: killed as the first step (a module task) not in it starts.
    """
    with tempfile.TemporaryDirectory(prefix="vbtest-run-") as work:
        record = os.path.join(work, "record.json")
        varfile = os.path.join(work, "vars.json")
        with open(varfile, "w") as handle:
            json.dump(extra_vars or {}, handle)
        path = playbook if os.path.isabs(playbook) else os.path.join(PLAYBOOKS, playbook)
        cmd = ["ansible-playbook", path, "-e", "@" + varfile]
        if inventory:
            cmd += ["-i", inventory]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        full_env = dict(os.environ, ANSIBLE_DEPRECATION_WARNINGS="false",
                        ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                        ANSIBLE_CALLBACKS_ENABLED="vbtest_recorder", VBTEST_RECORD=record,
                        ANSIBLE_NOCOLOR="1")
        full_env.pop("ANSIBLE_STDOUT_CALLBACK", None)
        if fault_at:
            full_env.update(VBTEST_FAULT_TASK=fault_at, VBTEST_FAULT_COMMAND=fault_command)
        if isinstance(kill_at, list):
            full_env.update(VBTEST_KILL_SKIP=json.dumps(kill_at))
        elif kill_at:
            full_env.update(VBTEST_FAULT_TASK=kill_at, VBTEST_FAULT_KILL="1")
        full_env.update(env or {})
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd,
                              timeout=timeout, check=False)
        seconds = time.monotonic() - start
        if not os.path.exists(record):
            raise AssertionError("ansible-playbook recorded nothing (rc %d):\n%s\n%s"
                                 % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        with open(record) as handle:
            data = json.load(handle)
    return Run(proc.returncode, proc.stdout + proc.stderr, data, seconds)


def run_module(name, args, check=False, diff=False, env=None, timeout=300, host="localhost",
               inventory=None):
    """The task result of ``virtblock.volumes.<name>`` (or a full FQCN) with *args*.

    *host*: run it on that inventory host instead (e.g. the compute-node guest, with the
    *inventory* or ``env`` of tests/support/compute_node.py).

    The result is printed (-v; -vvv with *diff*, which shows the invocation too), so
    ``_stdout`` is what a secret must not appear in.
    """
    fqcn = name if "." in name else "virtblock.volumes.%s" % name
    play = [{"name": fqcn, "hosts": host, "gather_facts": False,
             "tasks": [{"name": fqcn, fqcn: args}]}]
    with tempfile.NamedTemporaryFile("w", prefix="vbtest-module-", suffix=".json",
                                     delete=False) as handle:
        json.dump(play, handle)   # JSON is YAML
        book = handle.name
    try:
        run = run_playbook(book, check=check, diff=diff, verbosity=3 if diff else 1, env=env,
                           inventory=inventory, timeout=timeout)
    finally:
        os.unlink(book)
    if not run.tasks:
        raise AssertionError("ansible ran no task (rc %d):\n%s" % (run.rc, run.stdout[-3000:]))
    entry = run.tasks[-1]
    result = dict(entry["result"])
    result.setdefault("failed", entry["status"] in ("failed", "unreachable") or run.rc != 0)
    result["_stdout"] = run.stdout
    result["_rc"] = run.rc
    result["_seconds"] = run.seconds
    return result
