"""What the scenarios' testinfra tests read: the scenario's tgtd, the domain, the store.

Every host of the layout is this machine: the checks use testinfra's local backend
(molecule's generated inventory would reach localhost over ssh)."""

import json
import os

import testinfra

host = testinfra.get_host("local://")

SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", "attach")
# As vars/main.yml: the run id test_molecule.py passes, or the default of a run by hand.
RUN_ID = os.environ.get("VIRTBLOCK_MOLECULE_RUN_ID", "00000000000")
SUFFIX = {"attach": "1", "detach": "2", "rbd": "3"}.get(SCENARIO, "0")   # as vars/main.yml
INSTANCE = "9b0e2a30-5c1f-4a47-8d3e-" + RUN_ID + SUFFIX
VOLUME = "3c7d4b10-2e8a-4f6b-9c5d-" + RUN_ID + SUFFIX
BASE = "/var/tmp/vbtest-molecule-%s-%s" % (SCENARIO, RUN_ID)
TGT_PORT = os.environ.get("VIRTBLOCK_MOLECULE_TGT_PORT", "27")
IQN = "iqn.2010-10.org.openstack:volume-" + VOLUME


def targets():
    return host.check_output("tgtadm -C %s --op show --mode target", TGT_PORT)


def domain_xml(inactive=False):
    """The instance's live (or persistent) XML, read with libvirt-python (never virsh)."""
    import libvirt
    conn = libvirt.open("qemu:///system")
    try:
        return conn.lookupByUUIDString(INSTANCE).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE if inactive else 0)
    finally:
        conn.close()


def sql(query):
    out = host.check_output("sqlite3 -json %s %s", BASE + "/records.sqlite", query)
    return json.loads(out) if out.strip() else []


def secret_usages():
    """The usage ids of libvirtd's secrets (the IQN of an iSCSI CHAP secret, ``client.<user>
    secret`` of a ceph one)."""
    import libvirt
    conn = libvirt.open("qemu:///system")
    try:
        return [secret.usageID() for secret in conn.listAllSecrets()]
    finally:
        conn.close()
