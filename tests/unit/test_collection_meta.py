"""The collection's metadata against its plugins: every module documented (ansible-doc
renders it) and in the `volumes` action group, and each narrower group holding exactly
the modules that take all of its options (a group default a member lacks fails the task:
tests/integration/test_module_defaults.py)."""
import importlib
import json
import os
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NS = "virtblock.volumes."

# The options each narrower action group promises to module_defaults.
GROUP_OPTIONS = {
    "store": {"db_url", "db_password", "db_path", "db_timeout"},
    "libvirt": {"uri"},
    "storage": {"volumes_dir", "control_port"},
    "rbd": {"rbd_pool", "rbd_ceph_conf", "rbd_mon_host", "rbd_cluster_name", "rbd_user",
            "rbd_keyring", "rbd_key", "rados_connect_timeout"},
}


def plugin_files(kind):
    folder = os.path.join(ROOT, "plugins", kind)
    return sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py") and f != "__init__.py")


def ansible_doc(*args):
    proc = subprocess.run(["ansible-doc", "--json"] + list(args), capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def runtime():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def module_docs():
    names = plugin_files("modules")
    docs = ansible_doc("-t", "module", *[NS + n for n in names])
    return {name[len(NS):]: value for name, value in docs.items()}


def test_every_module_renders_with_examples_and_return(module_docs):
    assert sorted(module_docs) == plugin_files("modules")
    for name, entry in module_docs.items():
        assert entry["doc"]["module"] == name
        assert entry["doc"]["short_description"] and entry["doc"]["options"] is not None, name
        assert entry["examples"].strip(), "%s has no EXAMPLES" % name
        assert entry["return"], "%s has no RETURN" % name


def test_action_plugins_back_documented_modules(module_docs):
    for name in plugin_files("action"):
        assert module_docs[name]["doc"]["has_action"], name


def test_every_module_keeps_its_payload_between_runs():
    """Each module has an action plugin, and each action plugin keeps the module's payload
    (plugin_utils/payload_cache.py): a module without one would build its payload on
    every playbook run again."""
    from ansible_collections.virtblock.volumes.plugins.plugin_utils.payload_cache import PayloadCacheMixin
    assert plugin_files("action") == plugin_files("modules")
    for name in plugin_files("action"):
        action = importlib.import_module("ansible_collections.virtblock.volumes.plugins.action." + name)
        assert issubclass(action.ActionModule, PayloadCacheMixin), name


def test_filters_render():
    listed = ansible_doc("-t", "filter", "-l", "virtblock.volumes")
    assert listed, "no filter found"
    docs = ansible_doc("-t", "filter", *listed)
    for name in listed:
        assert docs[name]["doc"]["short_description"], name


def test_roles_render():
    """Each role under roles/ has an argument spec ansible-doc can show (survey-friendly)."""
    roles_dir = os.path.join(ROOT, "roles")
    roles = sorted(r for r in os.listdir(roles_dir) if os.path.isdir(os.path.join(roles_dir, r)))
    if not roles:
        pytest.skip("no role in roles/ yet")
    docs = ansible_doc("-t", "role", *[NS + r for r in roles])
    for role in roles:
        entry_points = docs[NS + role]["entry_points"]
        assert "main" in entry_points, role
        for point, entry in entry_points.items():
            assert entry["short_description"], (role, point)
            for option, spec in (entry.get("options") or {}).items():
                assert spec.get("description") and spec.get("type"), (role, point, option)


def test_volumes_group_holds_every_module(runtime):
    assert sorted(runtime["action_groups"]["volumes"]) == plugin_files("modules")


def test_narrow_groups_hold_exactly_the_modules_with_their_options(runtime, module_docs):
    groups = runtime["action_groups"]
    assert set(groups) == {"volumes"} | set(GROUP_OPTIONS)
    for group, options in GROUP_OPTIONS.items():
        takes_all = sorted(name for name, entry in module_docs.items()
                           if options <= set(entry["doc"]["options"]))
        assert sorted(groups[group]) == takes_all, group
