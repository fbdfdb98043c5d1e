"""The secrets of an attach and a detach (the CHAP user and password tgtd gets, the store's
password) appear nowhere but in 0600 files: not in ansible-playbook's -vvv --diff output,
not in syslog, not in the record store, not in any file of the test's directories that
others could read.

AnsibleModule logs every invocation to syslog ("Invoked with ..."). This machine has no
/dev/log, so the playbooks run in a private mount namespace (``unshare -m``) whose /dev
is a tmpfs holding the real device nodes plus a /dev/log socket this test listens on:
what the modules send to syslog is captured without touching the machine's /dev.
"""

import os
import stat
import subprocess
import sys
import uuid

import pytest

from support.ansible_run import CALLBACKS, PLAYBOOKS

LISTENER = r"""
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(sock.recv(65536) + b"\n")
"""

# A private /dev: the real nodes the tools need, bind-mounted, and our /dev/log.
NAMESPACE = r"""
set -e
real="$WORK/realdev"; mkdir -p "$real"
mount --rbind /dev "$real"
mount -t tmpfs -o mode=755 vbtest-dev /dev
for node in null zero full random urandom tty ptmx kvm; do
  if [ -e "$real/$node" ]; then touch "/dev/$node"; mount --bind "$real/$node" "/dev/$node"; fi
done
for dir in pts shm mqueue; do
  if [ -d "$real/$dir" ]; then mkdir -p "/dev/$dir"; mount --rbind "$real/$dir" "/dev/$dir"; fi
done
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
"$PYTHON" -c "$LISTENER" "$WORK/syslog.txt" "$WORK/listening" &
listener=$!
while [ ! -e "$WORK/listening" ]; do sleep 0.05; done
set +e
"$@"
rc=$?
kill $listener
exit $rc
"""


def run_in_namespace(work, playbook, extra_vars):
    varfile = os.path.join(work, "vars-%s.json" % uuid.uuid4().hex[:6])
    import json
    with open(varfile, "w") as handle:
        json.dump(extra_vars, handle)
    os.chmod(varfile, 0o600)
    env = dict(os.environ, WORK=work, PYTHON=sys.executable, LISTENER=LISTENER,
               ANSIBLE_DEPRECATION_WARNINGS="false", ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS)
    cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", NAMESPACE, "sh",
           "ansible-playbook", os.path.join(PLAYBOOKS, playbook), "-e", "@" + varfile,
           "-vvv", "--diff"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def readable_files(roots):
    """(path, bytes) of every file under *roots* that is not private to its owner (0600)."""
    for root in roots:
        for directory, dummy, names in os.walk(root):
            for name in names:
                path = os.path.join(directory, name)
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue
                if not stat.S_ISREG(mode) or not mode & 0o077:
                    continue
                with open(path, "rb") as handle:
                    yield path, handle.read()


def test_attach_and_detach_with_vvv_diff_leave_no_secret_outside_0600_files(attach_env, tmp_path):
    if subprocess.run(["unshare", "-m", "true"], check=False).returncode != 0:
        pytest.skip("no mount namespaces here: syslog cannot be captured without touching /dev")
    work = str(tmp_path)
    db_password = "vbtestDbPw%s" % uuid.uuid4().hex[:12]
    dom = attach_env.virt.define()
    instance = dom.UUIDString()
    volume_id = attach_env.new_volume()
    common = attach_env.vars(instance_uuid=instance, volume_id=volume_id,
                             virtblock_db_password=db_password)
    rc, attach_out = run_in_namespace(work, "attach_volume.yml", common)
    assert rc == 0, attach_out[-3000:]
    user, password = None, None
    with open(attach_env.target_file(volume_id)) as handle:
        for line in handle:
            parts = line.split()
            if parts and parts[0] == "incominguser":
                user, password = parts[1], parts[2]
    assert user and password
    rc, detach_out = run_in_namespace(work, "detach_volume.yml", common)
    assert rc == 0, detach_out[-3000:]

    with open(os.path.join(work, "syslog.txt"), "rb") as handle:
        syslog = handle.read()
    # The capture works: every module invocation reached it.
    assert syslog.count(b"Invoked with") >= 10, syslog[:2000]

    places = {"attach -vvv --diff": attach_out.encode(), "detach -vvv --diff": detach_out.encode(),
              "syslog": syslog}
    with open(attach_env.db_path, "rb") as handle:
        places["record store"] = handle.read()
    for path, data in readable_files([attach_env.base, attach_env.tgtd.base, work]):
        if not path.endswith("syslog.txt"):
            places[path] = data
    found = {}
    for secret_name, secret in (("chap password", password), ("chap user", user), ("db password", db_password)):
        for place, data in places.items():
            count = data.count(secret.encode())
            if count:
                found["%s in %s" % (secret_name, place)] = count
                at = data.index(secret.encode())
                print("\n%s in %s: ...%r..." % (secret_name, place, data[max(0, at - 600):at + 100]))
    print("\nsecret scan: %d places, %d bytes, %d syslog lines, occurrences: %s"
          % (len(places), sum(len(d) for d in places.values()), syslog.count(b"\n"), found or 0))
    assert found == {}
