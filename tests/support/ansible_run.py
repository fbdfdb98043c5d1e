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
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout, check=False)
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
