"""Run one of the collection's modules the way a playbook task does: through
``ansible`` (so the action plugin renders its template on the controller), on
localhost with the local connection, and return the task result as a dict."""

import json
import os
import subprocess
import tempfile


def run_module(name, args, check=False, diff=False, env=None, timeout=300):
    """Return the task result of ``virtblock.volumes.<name>`` with *args*.

    ``result["failed"]`` is set on failure; ``result["_stdout"]`` holds what ansible
    printed (for assertions that a secret was not shown).
    """
    with tempfile.TemporaryDirectory() as tree:
        cmd = ["ansible", "localhost", "-c", "local", "-m", "virtblock.volumes.%s" % name,
               "-a", json.dumps(args), "-t", tree]
        if check:
            cmd.append("-C")
        if diff:
            # The tree callback drops "diff" from what it writes below verbosity 3.
            cmd += ["-D", "-vvv"]
        full_env = dict(os.environ, ANSIBLE_DEPRECATION_WARNINGS="false")
        full_env.update(env or {})
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
        path = os.path.join(tree, "localhost")
        if not os.path.exists(path):
            raise AssertionError("ansible wrote no result (rc %d):\n%s\n%s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        with open(path) as handle:
            result = json.load(handle)
    # The tree callback leaves "failed" out of what it writes; ad-hoc exits 2 on failure.
    result.setdefault("failed", proc.returncode != 0)
    result["_stdout"] = proc.stdout + proc.stderr
    result["_rc"] = proc.returncode
    return result


CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callbacks")
PLAYBOOKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "playbooks")


def run_playbook(playbook, extra_vars, check=False, fault_at=None, fault_command=None,
                 env=None, timeout=600):
    """Run ``playbooks/<playbook>`` on the implicit localhost with *extra_vars*.

    Returns ``{"rc", "stdout", "tasks", "stats", "changed", "failed", "msg"}``: *tasks*
    lists every task's status (and the message of a failed task that is not no_log),
    *changed*/*failed* are localhost's counts, *msg* the message the play failed with.
    *fault_at*: a task name (part of it); *fault_command* runs in a shell as it starts.
    """
    with tempfile.TemporaryDirectory() as work:
        record = os.path.join(work, "record.json")
        varfile = os.path.join(work, "vars.json")
        with open(varfile, "w") as handle:
            json.dump(extra_vars, handle)
        path = playbook if os.path.isabs(playbook) else os.path.join(PLAYBOOKS, playbook)
        cmd = ["ansible-playbook", path, "-e", "@" + varfile]
        if check:
            cmd.append("-C")
        full_env = dict(os.environ, ANSIBLE_DEPRECATION_WARNINGS="false",
                        ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
                        ANSIBLE_CALLBACKS_ENABLED="vbtest_recorder", VBTEST_RECORD=record,
                        ANSIBLE_NOCOLOR="1")
        if fault_at:
            full_env.update(VBTEST_FAULT_TASK=fault_at, VBTEST_FAULT_COMMAND=fault_command)
        full_env.update(env or {})
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout)
        if not os.path.exists(record):
            raise AssertionError("ansible-playbook recorded nothing (rc %d):\n%s\n%s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        with open(record) as handle:
            data = json.load(handle)
    stats = data["stats"].get("localhost", {})
    failures = [t for t in data["tasks"] if t["status"] == "failed" and not t.get("ignored")]
    return dict(rc=proc.returncode, stdout=proc.stdout + proc.stderr, tasks=data["tasks"],
                stats=stats, changed=stats.get("changed", 0), failed=stats.get("failures", 0),
                msg=failures[-1].get("msg") if failures else None)
