"""A compute node reached over SSH, with a kernel iSCSI initiator: a TCG guest.

This machine's kernel has no ``iscsi_tcp``; Debian's kernel in a TCG guest has. The guest
(built by ``scripts/compute_node/build.sh``, cached under ``.build/compute-node/<key>``,
the key a hash of the build inputs) runs this machine's own ``/`` read-only over
virtio-9p under a tmpfs overlay, so it has the very same virtualenv, os-brick, open-iscsi,
udev and libvirt. Its PID 1 starts sshd, udevd, iscsid and multipathd; libvirtd is started
on first use (``node.libvirtd()``).

Network, loopback only: QEMU user networking with ``restrict=on``; SSH forwarded from a
free loopback address of this machine; the guest reaches the session's tgtd through
``guestfwd`` relays, ``10.0.2.41:3260`` -> the tgtd portal and ``10.0.2.42:3260`` -> a
second portal this fixture adds to that tgtd (for multipath). tgtd's SendTargets answer
names its own loopback address, which the guest cannot reach: the connection_info a
compute node gets must carry ``PORTALS`` (iscsi_target's ``target_ip_address``), the
address a NAT'ed storage network would give.

One guest per test session (``compute_node`` fixture), shared by all compute-node tests.
"""

import glob
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid

import pytest

from support import ports

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPTS = os.path.join(ROOT, "scripts", "compute_node")
CACHE = os.path.join(ROOT, ".build", "compute-node")
GUEST_PORTALS = ("10.0.2.41", "10.0.2.42")   # inside QEMU's user network only
SSH_PORT = 2222
HOSTNAME = "compute1"
BOOT_TIMEOUT = 300
# A nested instance with no guest OS: q35 with hot-plug ports and a virtio-scsi controller
# (a VM with no guest OS lets a scsi disk go; virtio would wait for a guest).
NESTED_DOMAIN = """<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='q35'>hvm</type></os><features><acpi/></features><devices>
<controller type='pci' index='0' model='pcie-root'/>
<controller type='pci' model='pcie-root-port'/><controller type='pci' model='pcie-root-port'/>
<controller type='scsi' model='virtio-scsi'/>
<memballoon model='none'/></devices></domain>"""


def _kernel_package():
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        if "Depends: linux-image-" in line:
            return line.split("Depends:")[1].strip()
    raise RuntimeError("apt-cache knows no linux-image-amd64 dependency")


def build_key():
    """What the cached build depends on: the build scripts and the kernel package."""
    digest = hashlib.sha256(_kernel_package().encode())
    for path in sorted(glob.glob(os.path.join(SCRIPTS, "*"))):
        with open(path, "rb") as handle:
            digest.update(os.path.basename(path).encode() + b"\0" + handle.read())
    return digest.hexdigest()[:16]


def build():
    """The build directory, built the first time (under a lock: two sessions may ask)."""
    key = build_key()
    out = os.path.join(CACHE, key)
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, ".lock"), "a") as lock:
        import fcntl
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(out, "kver")):
            work = out + ".tmp"
            proc = subprocess.run([os.path.join(SCRIPTS, "build.sh"), work], capture_output=True,
                                  text=True, timeout=900, check=False)
            if proc.returncode != 0:
                raise RuntimeError("compute-node build failed:\n%s\n%s" % (proc.stdout, proc.stderr))
            os.rename(work, out)
            for old in glob.glob(os.path.join(CACHE, "*")):    # earlier keys
                if old != out and os.path.isdir(old):
                    shutil.rmtree(old, ignore_errors=True)
    return out


class ComputeNode(object):
    """A running compute-node guest and how to reach it."""

    def __init__(self, build_dir, run_dir, tgtd, portal_ips, multipathd=True):
        self.build_dir = build_dir
        self.run_dir = run_dir
        self.tgtd = tgtd
        self.portal_ips = portal_ips          # this machine's addresses tgtd listens on
        self.multipathd = multipathd
        self.key = os.path.join(run_dir, "id_compute")
        shutil.copy(os.path.join(build_dir, "id_compute"), self.key)
        os.chmod(self.key, 0o600)
        self.console = os.path.join(run_dir, "console.log")
        self.pidfile = os.path.join(run_dir, "qemu.pid")
        self.python = os.path.join(sys.prefix, "bin", "python")
        self.ssh_ip = None
        self.port = SSH_PORT
        self.pid = None
        self._libvirtd = False

    # -- the guest's addresses -------------------------------------------------------
    @property
    def portals(self):
        """The portals as the compute node must log in to them (guest side)."""
        return ["%s:%d" % (ip, self.tgtd.port) for ip in GUEST_PORTALS[:len(self.portal_ips)]]

    def _qemu_argv(self):
        busybox = shutil.which("busybox") or os.path.join(self.build_dir, "extra/usr/bin/busybox")
        net = "user,id=n0,restrict=on,hostfwd=tcp:%s:%d-:22" % (self.ssh_ip, self.port)
        for guest_ip, host_ip in zip(GUEST_PORTALS, self.portal_ips):
            # One relay process per connection, so logouts and re-logins work.
            net += ",guestfwd=tcp:%s:%d-cmd:%s nc %s %d" % (guest_ip, self.tgtd.port, busybox,
                                                            host_ip, self.tgtd.port)

        def share(tag, path):
            return ["-fsdev", "local,id=%s,path=%s,security_model=passthrough,readonly=on,"
                    "multidevs=remap" % (tag, path),
                    "-device", "virtio-9p-pci,fsdev=%s,mount_tag=%s" % (tag, tag)]
        # -cpu max exposes SVM: the cmdline blacklists kvm so the nested libvirt never
        # tries KVM-on-TCG (a 10+ minute hang seen once). "svm=off" makes busybox abort.
        append = ("console=ttyS0 panic=-1 quiet modprobe.blacklist=kvm,kvm_amd,kvm_intel "
                  "vbcn.hostname=%s vbcn.multipathd=%d" % (HOSTNAME, int(self.multipathd)))
        return (["qemu-system-x86_64", "-name", "vbtest-compute-%s" % uuid.uuid4().hex[:8],
                 "-machine", "q35,accel=tcg", "-cpu", "max", "-smp", "2", "-m", "1024",
                 "-kernel", os.path.join(self.build_dir, "vmlinuz"),
                 "-initrd", os.path.join(self.build_dir, "initrd.gz"), "-append", append]
                + share("hostroot", "/") + share("extra", os.path.join(self.build_dir, "extra"))
                + share("conf", os.path.join(self.build_dir, "conf"))
                + ["-netdev", net, "-device", "virtio-net-pci,netdev=n0", "-display", "none",
                   "-serial", "file:" + self.console, "-no-reboot",
                   "-pidfile", self.pidfile, "-daemonize"])

    def start(self):
        with ports.machine_lock():
            # QEMU binds the SSH forward as it starts: inside the lock, no other
            # session can take the same address meanwhile.
            self.ssh_ip = ports.free_loopback_ip(self.port, avoid=self.portal_ips)
            subprocess.run(self._qemu_argv(), check=True, capture_output=True, timeout=60)
        with open(self.pidfile) as handle:
            self.pid = int(handle.read().strip())
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            text = self.console_text()
            if "VBCN-READY" in text and self.ssh("true", check=False, timeout=60).returncode == 0:
                return
            if "VBCN-9P-FAIL" in text or "VBCN-OVERLAY-FAIL" in text or "Kernel panic" in text:
                break
            time.sleep(2)
        tail = self.console_text()[-3000:]
        self.stop()
        raise RuntimeError("compute-node guest did not come up; console:\n%s" % tail)

    def stop(self):
        if self.pid is None:
            return
        try:
            os.kill(self.pid, 15)
        except ProcessLookupError:
            pass
        for dummy in range(50):
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        self.pid = None

    def close(self):
        """Stop the guest and remove the second portal start() added to tgtd."""
        self.stop()
        for ip in self.portal_ips[1:]:
            subprocess.run(["tgtadm", "-C", str(self.tgtd.control_port), "--lld", "iscsi", "--op",
                            "delete", "--mode", "portal", "--param", "portal=%s:%d" % (ip, self.tgtd.port)],
                           capture_output=True, check=False)

    def console_text(self):
        try:
            with open(self.console, "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    # -- reaching it -----------------------------------------------------------------
    def ssh_options(self):
        return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30", "-o", "BatchMode=yes"]

    def ssh(self, command, check=True, timeout=300):
        """Run a shell *command* in the guest; CompletedProcess (text)."""
        argv = (["ssh", "-i", self.key, "-p", str(self.port)] + self.ssh_options()
                + ["root@" + self.ssh_ip, command])
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("in the compute node: %s\nrc %d\n%s\n%s"
                                 % (command, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def python_json(self, code, timeout=300):
        """Run Python *code* (printing one JSON document) with the venv's python in the guest."""
        proc = self.ssh("%s -c %s" % (self.python, shlex.quote(code)), timeout=timeout)
        return json.loads(proc.stdout)

    def inventory_vars(self):
        return dict(ansible_host=self.ssh_ip, ansible_port=self.port, ansible_user="root",
                    ansible_connection="ssh",
                    ansible_ssh_private_key_file=self.key,
                    ansible_ssh_common_args=" ".join(self.ssh_options()),
                    ansible_python_interpreter=self.python)

    def write_inventory(self, path, storage="storage", store="store"):
        """Three hosts: *storage* and *store* on this machine, ``compute1`` the guest."""
        local = dict(ansible_connection="local", ansible_python_interpreter=self.python)
        inventory = {"all": {"hosts": {
            "localhost": dict(local), storage: dict(local), store: dict(local),
            HOSTNAME: self.inventory_vars()}}}
        with open(path, "w") as handle:
            json.dump(inventory, handle)
        return path

    def ansible_env(self, inventory):
        # Pipelining: one SSH round trip per module (the guest is 15-40x slower than here).
        return dict(ANSIBLE_INVENTORY=inventory, ANSIBLE_PIPELINING="True",
                    ANSIBLE_HOST_KEY_CHECKING="False",
                    ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(self.run_dir, "cp"),
                    ANSIBLE_TIMEOUT="60")

    # -- what runs inside ------------------------------------------------------------
    def libvirtd(self):
        """Start virtlogd + libvirtd in the guest (once) and wait for qemu:///system."""
        if self._libvirtd:
            return
        self.ssh("mkdir -p /var/log/libvirt /var/lib/libvirt/qemu /var/cache/libvirt/qemu "
                 "/run/libvirt; pgrep -x libvirtd >/dev/null || { virtlogd -d; libvirtd -d; }")
        code = ("import json, time, libvirt\n"
                "for i in range(600):\n"
                "    try:\n"
                "        c = libvirt.open('qemu:///system'); break\n"
                "    except libvirt.libvirtError:\n"
                "        time.sleep(1)\n"
                "c.getDomainCapabilities(None, None, None, 'qemu')\n"
                "print(json.dumps(c.getVersion()))\n")
        self.python_json(code, timeout=900)
        self._libvirtd = True

    def define_domain(self):
        """A persistent domain in the guest's libvirt, started then paused (no guest OS:
        a paused nested TCG costs no CPU, and QEMU still hot-plugs and unplugs scsi
        disks). Returns its UUID."""
        self.libvirtd()
        name = "vbtest-nested-%s" % uuid.uuid4().hex[:8]
        xml = NESTED_DOMAIN % name
        code = ("import json, libvirt\n"
                "c = libvirt.open('qemu:///system')\n"
                "d = c.defineXML(%r)\n"
                "d.create(); d.suspend()\n"
                "print(json.dumps(d.UUIDString()))\n" % xml)
        return self.python_json(code, timeout=600)

    def domain_xml(self, domain_uuid):
        """The live XML of a guest domain, or None when it is gone."""
        code = ("import json, libvirt\n"
                "c = libvirt.open('qemu:///system')\n"
                "try:\n"
                "    print(json.dumps(c.lookupByUUIDString(%r).XMLDesc(0)))\n"
                "except libvirt.libvirtError:\n"
                "    print('null')\n" % domain_uuid)
        return self.python_json(code)

    def destroy_domain_command(self, domain_uuid):
        """A shell command for this machine that destroys and undefines a guest domain."""
        code = ("import libvirt; d = libvirt.open('qemu:///system').lookupByUUIDString(%r); "
                "d.destroy(); d.undefine()" % domain_uuid)
        argv = (["ssh", "-i", self.key, "-p", str(self.port)] + self.ssh_options()
                + ["root@" + self.ssh_ip, "%s -c %s" % (self.python, shlex.quote(code))])
        return " ".join(shlex.quote(a) for a in argv)

    def remove_domain(self, domain_uuid):
        code = ("import libvirt\n"
                "try:\n"
                "    d = libvirt.open('qemu:///system').lookupByUUIDString(%r)\n"
                "except libvirt.libvirtError:\n"
                "    raise SystemExit(0)\n"
                "if d.isActive():\n"
                "    d.destroy()\n"
                "d.undefine()\n" % domain_uuid)
        self.ssh("%s -c %s" % (self.python, shlex.quote(code)), check=False)

    def sessions(self):
        return self.ssh("iscsiadm -m session 2>/dev/null || true").stdout

    def nodes(self):
        return self.ssh("iscsiadm -m node 2>/dev/null || true").stdout

    def scsi_disks(self):
        """The sdX block devices the guest has."""
        return sorted(os.path.basename(p) for p in
                      self.ssh("ls -d /sys/block/sd* 2>/dev/null || true").stdout.split())

    def multipath_maps(self):
        return self.ssh("dmsetup ls --target multipath 2>/dev/null || true").stdout


def start(tgtd, run_dir):
    """Boot a compute-node guest with two portals on *tgtd* (a second one added here).
    Returns the node; ``node.close()`` stops it and removes that portal."""
    build_dir = build()
    os.makedirs(os.path.join(run_dir, "cp"), exist_ok=True)
    with ports.machine_lock():
        second = ports.free_loopback_ip(tgtd.port, avoid=(tgtd.ip,))
        tgtd.tgtadm("--lld", "iscsi", "--op", "new", "--mode", "portal",
                    "--param", "portal=%s:%d" % (second, tgtd.port))
    node = ComputeNode(build_dir, run_dir, tgtd, [tgtd.ip, second])
    try:
        node.start()
    except Exception:
        node.close()
        raise
    return node


@pytest.fixture(scope="session")
def compute_node(tgtd, tmp_path_factory):
    """The session's compute-node guest, with two portals on the session's tgtd."""
    if shutil.which("qemu-system-x86_64") is None:
        pytest.skip("needs qemu-system-x86_64 (scripts/setup.sh installs it)")
    node = start(tgtd, str(tmp_path_factory.mktemp("compute-node")))
    try:
        yield node
    finally:
        node.close()


@pytest.fixture(scope="session")
def compute_inventory(compute_node, tmp_path_factory):
    """(inventory path, ansible env) for storage/store = this machine, compute1 = the guest."""
    path = str(tmp_path_factory.mktemp("compute-inventory") / "inventory.json")
    compute_node.write_inventory(path)
    return path, compute_node.ansible_env(path)
