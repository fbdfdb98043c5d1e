"""Run one of the collection's playbooks as an operator does (``ansible-playbook``),
with extra vars from a dict, and return what the json callback reports."""

import json
import os
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class PlaybookResult(object):
    def __init__(self, proc, report):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.report = report
        self.stats = (report.get("stats") or {}).get("localhost", {})

    @property
    def changed(self):
        return self.stats.get("changed", 0)

    @property
    def failed(self):
        return self.rc != 0

    def task_results(self, name_part):
        """The host results of the tasks whose name contains *name_part*."""
        found = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                if name_part in task["task"]["name"]:
                    found.extend(task["hosts"].values())
        return found

    def messages(self):
        return "\n".join(str(r.get("msg", "")) for play in self.report.get("plays", [])
                         for task in play.get("tasks", []) for r in task["hosts"].values()
                         if r.get("failed"))


def run_playbook(name, extra_vars, check=False, timeout=600):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(extra_vars, handle)
        path = handle.name
    try:
        cmd = ["ansible-playbook", "-i", "localhost,", os.path.join(ROOT, "playbooks", name),
               "-e", "@" + path]
        if check:
            cmd.append("--check")
        env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="vbtest_json",
                   ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "tests", "support", "callback_plugins"),
                   ANSIBLE_DEPRECATION_WARNINGS="false")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                              check=False)
    finally:
        os.unlink(path)
    try:
        report = json.loads(proc.stdout[proc.stdout.index("{"):])
    except ValueError:
        raise AssertionError("ansible-playbook printed no report (rc %d):\n%s\n%s"
                             % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return PlaybookResult(proc, report)
