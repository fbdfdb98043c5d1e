"""The secrets of every playbook - attach, detach, extend_volume, instance_volumes,
boot_from_volume, volume_audit and delete_instance - (the CHAP user and password tgtd gets, the store's password on SQLite and
on a MariaDB server that asks for it, the cephx key on the rbd path) appear nowhere but in
0600 files and private libvirt secrets: not in ansible-playbook's -vvv --diff output, not in
syslog, not in the record store, not in any file of the test's directories that others
could read.

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

from ansible_collections.virtblock.volumes.plugins.module_utils.rules.server_request import new_volume_id
from support.ansible_run import CALLBACKS, PLAYBOOKS
from support.boot_site import instance_uuid

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
    user, password = chap_pair(attach_env.tgtd, volume_id)
    # The lifecycle playbooks over the same attachment: extend (it reads the BDMs and their
    # connection_info) and the declarative role (a converge that keeps the volume).
    rc, extend_out = run_in_namespace(work, "extend_volume.yml", dict(common, new_size=2))
    assert rc == 0, extend_out[-3000:]
    rc, converge_out = run_in_namespace(work, "instance_volumes.yml", dict(common, volumes=[volume_id]))
    assert rc == 0, converge_out[-3000:]
    rc, detach_out = run_in_namespace(work, "detach_volume.yml", common)
    assert rc == 0, detach_out[-3000:]

    places = {"attach -vvv --diff": attach_out.encode(), "detach -vvv --diff": detach_out.encode(),
              "extend -vvv --diff": extend_out.encode(), "instance_volumes -vvv --diff": converge_out.encode()}
    with open(attach_env.db_path, "rb") as handle:
        places["record store"] = handle.read()
    scan(work, places, [attach_env.base, attach_env.tgtd.base], 10,
         {"chap password": password, "chap user": user, "db password": db_password})


def scan(work, places, roots, invocations, secrets):
    """Search *places* (name: bytes), the captured syslog and every file under *roots* and
    *work* that is not 0600, for each of *secrets* (name: value): none may be found."""
    with open(os.path.join(work, "syslog.txt"), "rb") as handle:
        syslog = handle.read()
    # The capture works: every module invocation reached it.
    assert syslog.count(b"Invoked with") >= invocations, syslog[:2000]
    places = dict(places, syslog=syslog)
    for path, data in readable_files(list(roots) + [work]):
        if not path.endswith("syslog.txt"):
            places[path] = data
    found = {}
    for secret_name, secret in secrets.items():
        assert secret and len(secret) >= 8, secret_name   # a real secret, not a word of the output
        for place, data in places.items():
            count = data.count(secret.encode())
            if count:
                found["%s in %s" % (secret_name, place)] = count
                at = data.index(secret.encode())
                print("\n%s in %s: ...%r..." % (secret_name, place, data[max(0, at - 600):at + 100]))
    print("\nsecret scan: %d places, %d bytes, %d syslog lines, %d secrets, occurrences: %s"
          % (len(places), sum(len(d) for d in places.values()), syslog.count(b"\n"), len(secrets),
             found or 0))
    assert found == {}


def chap_pair(tgtd, volume_id):
    with open(os.path.join(tgtd.volumes_dir, "volume-" + volume_id)) as handle:
        for line in handle:
            parts = line.split()
            if parts and parts[0] == "incominguser":
                return parts[1], parts[2]
    raise AssertionError("no CHAP account in the target file of %s" % volume_id)


def boot_request(name):
    """No kernel (no guest OS to wait for): a root volume the boot makes and a swap disk."""
    return {"name": name, "memory": 64, "vcpus": 1, "block_device_mapping_v2": [
        {"boot_index": 0, "source_type": "blank", "destination_type": "volume", "volume_size": 1,
         "delete_on_termination": True},
        {"source_type": "blank", "destination_type": "local", "guest_format": "swap", "volume_size": 8}]}


def test_boot_audit_and_delete_on_mariadb_with_vvv_diff_leave_no_secret(bare_site, mysql, tmp_path):
    """The store on a server that asks for a password (db_url without it, db_password)."""
    if subprocess.run(["unshare", "-m", "true"], check=False).returncode != 0:
        pytest.skip("no mount namespaces here: syslog cannot be captured without touching /dev")
    site, work = bare_site, str(tmp_path)
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    site.names.append(name)
    common = dict(site.vars, virtblock_db_url=mysql.url(mysql.create_database()),
                  virtblock_db_password=mysql.password, virtblock_iscsi_initiator="qemu")
    rc, boot_out = run_in_namespace(work, "boot_from_volume.yml", dict(common, virtblock_server=boot_request(name)))
    assert rc == 0, boot_out[-3000:]
    root = new_volume_id(instance_uuid(name), 0)
    user, password = chap_pair(site.tgtd, root)
    rc, audit_out = run_in_namespace(work, "volume_audit.yml", common)
    assert rc == 0, audit_out[-3000:]
    rc, delete_out = run_in_namespace(work, "delete_instance.yml", dict(common, virtblock_instance_name=name))
    assert rc == 0, delete_out[-3000:]
    assert not os.path.exists(os.path.join(site.tgtd.volumes_dir, "volume-" + root))
    scan(work, {"boot -vvv --diff": boot_out.encode(), "audit -vvv --diff": audit_out.encode(),
                "delete -vvv --diff": delete_out.encode()},
         [site.base, site.tgtd.base], 15,
         {"chap password": password, "chap user": user, "db password": mysql.password})


def test_rbd_boot_and_delete_with_vvv_diff_leave_no_cephx_key(bare_site, ceph, tmp_path):
    """The rbd path: the cephx key goes to rbd (Ceph's client) and into a private libvirt
    secret, nowhere else."""
    if subprocess.run(["unshare", "-m", "true"], check=False).returncode != 0:
        pytest.skip("no mount namespaces here: syslog cannot be captured without touching /dev")
    site, work = bare_site, str(tmp_path)
    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    site.names.append(name)
    db_password = "vbtestDbPw%s" % uuid.uuid4().hex[:12]
    common = dict(site.vars, virtblock_backend="rbd", virtblock_db_password=db_password,
                  virtblock_rbd=dict(rbd_ceph_conf=ceph.conf, rbd_user=ceph.user, rbd_key=ceph.key))
    rc, boot_out = run_in_namespace(work, "boot_from_volume.yml", dict(common, virtblock_server=boot_request(name)))
    try:
        assert rc == 0, boot_out[-3000:]
    finally:
        rc, delete_out = run_in_namespace(work, "delete_instance.yml", dict(common, virtblock_instance_name=name))
    assert rc == 0, delete_out[-3000:]
    assert not ceph.exists("volume-" + new_volume_id(instance_uuid(name), 0))
    with open(site.db, "rb") as handle:
        store = handle.read()
    scan(work, {"boot -vvv --diff": boot_out.encode(), "delete -vvv --diff": delete_out.encode(),
                "record store": store},
         [site.base], 8, {"cephx key": ceph.key, "db password": db_password})
