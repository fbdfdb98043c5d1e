"""The attach, detach and boot playbooks run the way AWX runs a job: through ansible-runner
(the library AWX's task runner uses) with a private data dir that holds

- ``project/``: the AWX project of docs/docsite/rst/awx.rst (one short playbook per job
  template, each importing the collection's playbook by name);
- ``requirements_collections/``: the collection installed from the tarball that
  ``ansible-galaxy collection build`` makes (the artifact, not this tree), where AWX installs
  a project's collections, with ``ANSIBLE_COLLECTIONS_PATH`` pointing there only;
- ``inventory/``: docs/awx/inventory.yml's layout, every part on localhost here;
- ``env/extravars``: the job template's extra vars plus the survey's answers, typed as AWX
  types them (text -> str, integer -> int, multiple choice -> str);
- ``env/envvars``: the custom credential type's injectors (docs/awx/credential_type_injectors.yml)
  rendered with the credential's inputs, as AWX applies them to the job's environment.

The store is the session's MariaDB reached with the injected URL and password. The CHAP
fields are left blank, as the guide advises (each export gets generated per-volume
credentials): AWX then injects empty variables. Each job must succeed, and no event (nor the
job's stdout) may carry the database password or the export's CHAP secret.
"""

import glob
import os
import subprocess
import uuid

import jinja2.sandbox
import pytest
import yaml

from support.ansible_run import run_module

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The job templates' surveys (docs/docsite/rst/awx.rst, "The project and the job templates").
SURVEYS = {
    "attach_volume.yml": [
        {"variable": "instance_uuid", "type": "text", "required": True},
        {"variable": "volume_id", "type": "text", "required": True},
        {"variable": "disk_bus", "type": "multiplechoice", "choices": "virtio\nscsi\nsata\nusb\nide",
         "default": "virtio"},
    ],
    "detach_volume.yml": [
        {"variable": "instance_uuid", "type": "text", "required": True},
        {"variable": "volume_id", "type": "text", "required": True},
    ],
    "boot_from_volume.yml": [
        {"variable": "server_name", "type": "text", "required": True},
        {"variable": "root_gb", "type": "integer", "min": 1, "max": 4, "default": 1},
    ],
    "delete_instance.yml": [
        {"variable": "virtblock_instance_name", "type": "text", "required": True},
    ],
}
# The boot template's own extra vars: the request, built from the survey's answers (AWX
# allows Jinja in a job template's saved extra vars, not in survey answers).
BOOT_TEMPLATE_VARS = {"virtblock_server": {
    "name": "{{ server_name }}", "memory": 128, "vcpus": 1,
    "block_device_mapping_v2": [{"boot_index": 0, "source_type": "blank",
                                 "destination_type": "volume", "volume_size": "{{ root_gb }}",
                                 "delete_on_termination": True}]}}


def survey_answers(playbook, answers):
    """What AWX puts into extra vars for a survey: each answered (or defaulted) question's
    variable, integers as int, text and choices as str."""
    out = {}
    for question in SURVEYS[playbook]:
        name = question["variable"]
        if name not in answers and "default" not in question:
            assert not question.get("required"), "survey question %s needs an answer" % name
            continue
        value = answers.get(name, question.get("default"))
        if question["type"] == "integer":
            value = int(value)
            assert question["min"] <= value <= question["max"]
        else:
            value = str(value)
            if question["type"] == "multiplechoice":
                assert value in question["choices"].split("\n")
        out[name] = value
    return out


def credential_env(inputs):
    """AWX renders each injector template with the credential's inputs (Jinja2, sandboxed);
    a field left blank renders empty."""
    with open(os.path.join(ROOT, "docs", "awx", "credential_type_injectors.yml")) as handle:
        injectors = yaml.safe_load(handle)
    with open(os.path.join(ROOT, "docs", "awx", "credential_type_inputs.yml")) as handle:
        fields = [field["id"] for field in yaml.safe_load(handle)["fields"]]
    namespace = dict((field, "") for field in fields)
    namespace.update(inputs)
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined)
    return {name: env.from_string(template).render(**namespace)
            for name, template in injectors["env"].items()}


@pytest.fixture(scope="session")
def artifact(tmp_path_factory):
    """The collection tarball, built as scripts/check.sh builds it."""
    out = str(tmp_path_factory.mktemp("dist"))
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", out, ROOT],
                   check=True, capture_output=True, timeout=300)
    tarball, = glob.glob(os.path.join(out, "virtblock-volumes-*.tar.gz"))
    return tarball


class Job(object):
    """One AWX-style private data dir and the jobs run in it."""

    def __init__(self, base, artifact, inventory_vars, credential_inputs):
        self.base = base
        self.collections = os.path.join(base, "requirements_collections")
        subprocess.run(["ansible-galaxy", "collection", "install", "-p", self.collections, artifact],
                       check=True, capture_output=True, timeout=300,
                       env=dict(os.environ, ANSIBLE_COLLECTIONS_PATH=self.collections))
        os.makedirs(os.path.join(base, "project"))
        for playbook in SURVEYS:
            with open(os.path.join(base, "project", playbook), "w") as handle:
                yaml.safe_dump([{"name": "AWX job: " + playbook,
                                 "ansible.builtin.import_playbook":
                                     "virtblock.volumes." + playbook[:-4]}], handle)
        with open(os.path.join(ROOT, "docs", "awx", "inventory.yml")) as handle:
            inventory = yaml.safe_load(handle)
        # docs/awx/inventory.yml's groups and variables, every part on this machine.
        inventory["all"]["vars"].update(inventory_vars, virtblock_storage_host="localhost",
                                        virtblock_compute_host="localhost")
        inventory["all"]["children"] = {"store": inventory["all"]["children"]["store"]}
        os.makedirs(os.path.join(base, "inventory"))
        with open(os.path.join(base, "inventory", "hosts.yml"), "w") as handle:
            yaml.safe_dump(inventory, handle)
        self.envvars = dict(credential_env(credential_inputs),
                            ANSIBLE_COLLECTIONS_PATH=self.collections,
                            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                            ANSIBLE_DEPRECATION_WARNINGS="false")
        self.secrets = [v for k, v in credential_inputs.items() if k in ("db_password", "chap_password")]
        assert all(self.secrets)

    def check_secrets(self):
        """No secret in any event or the stdout of any job run so far (the artifacts AWX
        reads its job events and output from)."""
        for path in glob.glob(os.path.join(self.base, "artifacts", "*", "job_events", "*.json")) + \
                glob.glob(os.path.join(self.base, "artifacts", "*", "stdout")):
            with open(path) as handle:
                text = handle.read()
            for secret in self.secrets:
                assert secret not in text, "a secret is in %s" % path

    def run(self, playbook, answers, template_vars=None):
        import ansible_runner
        env_dir = os.path.join(self.base, "env")
        os.makedirs(env_dir, exist_ok=True)
        extravars = dict(template_vars or {}, awx_job_template_name=playbook[:-4],
                         tower_job_template_name=playbook[:-4])
        extravars.update(survey_answers(playbook, answers))
        with open(os.path.join(env_dir, "extravars"), "w") as handle:
            yaml.safe_dump(extravars, handle)
        with open(os.path.join(env_dir, "envvars"), "w") as handle:
            yaml.safe_dump(self.envvars, handle)
        runner = ansible_runner.run(private_data_dir=self.base, playbook=playbook,
                                    ident=playbook[:-4] + "-" + uuid.uuid4().hex[:6], quiet=True,
                                    timeout=900)
        events = list(runner.events)
        stdout = runner.stdout.read()
        assert runner.status == "successful" and runner.rc == 0, \
            "%s: %s rc=%s\n%s" % (playbook, runner.status, runner.rc, stdout[-4000:])
        self.check_secrets()
        # Every collection task ran from the installed artifact, none from this tree.
        paths = {e["event_data"].get("task_path", "") for e in events
                 if e.get("event") == "runner_on_ok"}
        ours = [p for p in paths if "virtblock/volumes" in p]
        assert ours and all(p.startswith(self.collections) for p in ours), sorted(paths)[:5]
        return runner, events


def test_attach_detach_and_boot_as_awx_jobs(artifact, attach_env, virt, mysql, tmp_path):
    database = mysql.create_database()
    inventory_vars = attach_env.vars()
    del inventory_vars["virtblock_db_path"]
    images = str(tmp_path / "images")
    os.makedirs(images)
    inventory_vars.update(virtblock_images_dir=images,
                          virtblock_instances_path=str(tmp_path / "instances"))
    job = Job(str(tmp_path / "awx"), artifact, inventory_vars, {
        "db_url": mysql.url(database), "db_password": mysql.password})

    # A volume Cinder made: its bytes and its record in the shared store.
    volume_id = str(uuid.uuid4())
    assert not run_module("volume", dict(volume_id=volume_id, size_mib=8,
                                         backing_dir=attach_env.backing_dir))["failed"]
    assert not run_module("volume_state", dict(volume_id=volume_id, size=1, db_url=mysql.url(database),
                                               db_password=mysql.password))["failed"]
    dom = virt.define()
    instance = dom.UUIDString()

    job.run("attach_volume.yml", {"instance_uuid": instance, "volume_id": volume_id})
    # The export with its generated CHAP secret, shown in no event; the disk in the domain;
    # the attachment in the store (MariaDB, reached with the injected URL and password).
    assert attach_env.in_tgtd(volume_id)
    job.secrets.append(attach_env.chap_secret(volume_id))
    job.check_secrets()
    assert "<serial>%s</serial>" % volume_id in virt.config_xml(dom)
    info = run_module("bdm_info", dict(instance_uuid=instance, db_url=mysql.url(database),
                                       db_password=mysql.password))
    assert [a["volumeId"] for a in info["volumeAttachments"]] == [volume_id]

    job.run("detach_volume.yml", {"instance_uuid": instance, "volume_id": volume_id})
    assert not attach_env.in_tgtd(volume_id) and volume_id not in virt.config_xml(dom)

    name = "vbtest-%s" % uuid.uuid4().hex[:10]
    try:
        job.run("boot_from_volume.yml", {"server_name": name, "root_gb": 1}, BOOT_TEMPLATE_VARS)
        assert virt.conn.lookupByName(name).isActive()
        job.run("delete_instance.yml", {"virtblock_instance_name": name})
        assert name not in virt.conn.listDefinedDomains()
        assert name not in [d.name() for d in virt.conn.listAllDomains()]
    finally:
        try:
            dom = virt.conn.lookupByName(name)
            virt.domains.append(dom)    # the virt fixture removes what a failed run left
        except virt.libvirt.libvirtError:
            pass
