"""libvirtd for the tests (started with the project's service helper) and throw-away
domains: every domain and secret a test makes is named ``vbtest-<random>`` and removed
when the test ends, so tests can run beside other users of the same libvirtd."""

import os
import subprocess
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = os.path.join(ROOT, "scripts", "services.sh")
URI = "qemu:///system"

DOMAIN_XML = """<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory unit='MiB'>{memory}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    {boot}
  </os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <controller type='scsi' index='0' model='virtio-scsi'/>
    <controller type='pci' index='0' model='pcie-root'/>
    {ports}
    {serial}
    <memballoon model='none'/>
  </devices>
</domain>
"""


def domain_xml(name, domain_uuid=None, memory=64, boot="", serial="", ports=4):
    port_xml = "\n    ".join("<controller type='pci' index='%d' model='pcie-root-port'/>" % (i + 1)
                             for i in range(ports))
    return DOMAIN_XML.format(name=name, uuid=domain_uuid or str(uuid.uuid4()), memory=memory,
                             boot=boot, serial=serial, ports=port_xml)


class Libvirt(object):
    def __init__(self):
        import libvirt
        self.libvirt = libvirt
        libvirt.registerErrorHandler(lambda _c, _e: None, None)
        self.conn = libvirt.open(URI)
        self.domains = []

    def define(self, start=False, **kwargs):
        name = "vbtest-%s" % uuid.uuid4().hex[:10]
        dom = self.conn.defineXML(domain_xml(name, **kwargs))
        self.domains.append(dom)
        if start:
            dom.create()
        return dom

    def live_xml(self, dom):
        return dom.XMLDesc(0)

    def config_xml(self, dom):
        return dom.XMLDesc(self.libvirt.VIR_DOMAIN_XML_INACTIVE)

    def secret_by_usage(self, usage_id):
        try:
            return self.conn.secretLookupByUsage(self.libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage_id)
        except self.libvirt.libvirtError:
            return None

    def cleanup(self):
        for dom in self.domains:
            try:
                if dom.isActive():
                    dom.destroy()
                dom.undefine()
            except self.libvirt.libvirtError:
                pass
        self.domains = []


def remove_domains(conn, names):
    """Stop and undefine the named domains a test made; a name with no domain is skipped."""
    import libvirt
    for name in names:
        try:
            dom = conn.lookupByName(name)
        except libvirt.libvirtError:
            continue
        if dom.isActive():
            dom.destroy()
        dom.undefine()


@pytest.fixture(scope="session")
def libvirtd_running():
    subprocess.run([SERVICES, "start", "libvirt"], check=True, capture_output=True, timeout=120)
    return URI


@pytest.fixture
def virt(libvirtd_running):
    handle = Libvirt()
    yield handle
    handle.cleanup()
    handle.conn.close()


@pytest.fixture
def volume_dir():
    """A directory QEMU (running as libvirt-qemu) can reach, unlike pytest's 0700
    tmp_path; on disk, not tmpfs, so cache=none works."""
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="vbtest-", dir="/var/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def make_volume(directory, size=4 << 20):
    """A file-backed local volume: (volume_id, connection_info)."""
    volume_id = str(uuid.uuid4())
    path = os.path.join(directory, "volume-%s" % volume_id)
    with open(path, "wb") as handle:
        handle.truncate(size)
    return volume_id, {"driver_volume_type": "local", "data": {"device_path": path}}
