"""Run modules through ansible with what they send to syslog captured, for real.

AnsibleModule logs ``Invoked with <parameters>`` through the journal when
``systemd.journal`` imports, else through ``syslog(3)``, which glibc sends to the unix
datagram socket ``/dev/log``. This machine has neither a journal nor a ``/dev/log``, and
``/dev`` is shared by every session: so the runs happen in a private mount namespace
(``unshare --mount``) whose ``/dev`` is a fresh tmpfs holding bind mounts of every entry
of the real ``/dev`` plus ``/dev/log`` bound to a datagram socket this process reads.
Nothing is patched: the module process calls glibc's ``syslog()`` as it would anywhere,
and the datagrams it sends are what a syslog daemon would write to disk.

``python -m support.syslog_capture WORK CASES OUT`` is the part that runs inside the
namespace; ``run_captured(cases)`` the part the test calls.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _private_dev(work):
    """Inside the namespace: a /dev like the real one, with /dev/log ours."""
    real = os.path.join(work, "realdev")
    os.mkdir(real)
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["mount", "--rbind", "/dev", real], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "vbtest-dev", "/dev"], check=True)
    for name in os.listdir(real):
        src, dst = os.path.join(real, name), os.path.join("/dev", name)
        if os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        elif os.path.isdir(src):
            os.mkdir(dst)
            subprocess.run(["mount", "--rbind", src, dst], check=True)
        else:
            open(dst, "w").close()
            subprocess.run(["mount", "--bind", src, dst], check=True)
    open("/dev/log", "w").close()
    subprocess.run(["mount", "--bind", os.path.join(work, "log"), "/dev/log"], check=True)


def _inside(work, cases_path, out_path):
    from support.ansible_run import run_module  # the tests' one way to run a module
    _private_dev(work)
    with open(cases_path) as handle:
        cases = json.load(handle)
    results = [run_module(case["module"], case["args"], check=case.get("check", False),
                          diff=case.get("diff", False)) for case in cases]
    with open(out_path, "w") as handle:
        json.dump(results, handle)


def run_captured(cases, timeout=900):
    """Run ``[{"module", "args", "check"?, "diff"?}, ...]``; return (results, syslog lines)."""
    with tempfile.TemporaryDirectory(prefix="vbtest-syslog-") as work:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(work, "log"))
        sock.settimeout(0.2)
        lines, stop = [], threading.Event()

        def read():
            # Until told to stop and the socket is drained.
            while True:
                try:
                    lines.append(sock.recv(1 << 20).decode("utf-8", "replace"))
                except socket.timeout:
                    if stop.is_set():
                        return

        reader = threading.Thread(target=read)
        reader.start()
        try:
            cases_path, out_path = os.path.join(work, "cases.json"), os.path.join(work, "out.json")
            with open(cases_path, "w") as handle:
                json.dump(cases, handle)
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                [TESTS] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
            proc = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", sys.executable, "-m",
                 "support.syslog_capture", work, cases_path, out_path],
                cwd=TESTS, env=env, capture_output=True, text=True, timeout=timeout, check=False)
            if proc.returncode != 0 or not os.path.exists(out_path):
                raise AssertionError("the captured runs failed (rc %d):\n%s\n%s"
                                     % (proc.returncode, proc.stdout, proc.stderr))
            with open(out_path) as handle:
                results = json.load(handle)
        finally:
            stop.set()
            reader.join()
            sock.close()
    return results, lines


if __name__ == "__main__":
    _inside(*sys.argv[1:4])
