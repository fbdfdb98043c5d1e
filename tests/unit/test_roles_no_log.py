"""The roles' no_log audit (issue 14 item 5): every task that handles connection_info or a
secret is ``no_log``. The roles' task files are parsed (blocks, rescue and always walked,
module_defaults inherited as Ansible does) and each task is judged by what it hands its
module and what its module returns:

- it handles a secret when its module arguments, ``vars`` or ``loop`` name
  ``connection_info`` or a key of ``module_utils/secrets.SECRET_KEYS`` (``auth_password``,
  ``rbd_key``, ...), when the module_defaults it gets hand it the Ceph client options
  (``group/virtblock.volumes.rbd``: they may hold ``rbd_key``), or when its module returns
  a ``connection_info`` that holds the CHAP secret or the cephx key (``iscsi_target``
  exporting, ``rbd_connection``, ``volume_connection`` connecting);
- not counted: ``db_password``/``db_url`` handed to the store modules by module_defaults
  (options with ``no_log`` in the store's argument spec, which every store task takes: Ansible
  masks them before anything is printed; tests/integration/test_secret_scan.py searches
  for the password), and ``connection_info`` read back from a BDM row (``<x>_bdm.connection_info``,
  ``block_device_mappings``): the record store keeps it without its secrets
  (rules/bdm.py ``stored_connection_info``).

``no_log`` may be a template (a task that carries a cephx key only when one is given).
"""

import glob
import os
import re

import yaml

from ansible_collections.virtblock.volumes.plugins.module_utils.secrets import SECRET_KEYS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

KEYWORDS = frozenset((
    "name", "when", "register", "delegate_to", "loop", "loop_control", "vars", "no_log",
    "ignore_errors", "failed_when", "changed_when", "check_mode", "diff", "tags", "become",
    "module_defaults", "block", "rescue", "always", "until", "retries", "delay", "run_once",
    "environment", "notify", "listen", "any_errors_fatal", "throttle", "timeout", "args",
    "delegate_facts", "local_action", "become_user", "connection", "with_items", "apply"))
# Actions that run no module: include* print nothing of their vars.
NO_MODULE = ("ansible.builtin.include_tasks", "ansible.builtin.include_role",
             "ansible.builtin.import_tasks", "ansible.builtin.import_role", "ansible.builtin.fail",
             "ansible.builtin.assert", "ansible.builtin.debug", "ansible.builtin.meta")
RETURNS_SECRETS = ("virtblock.volumes.iscsi_target", "virtblock.volumes.rbd_connection",
                   "virtblock.volumes.volume_connection")
STORE_OPTIONS = ("db_password", "db_url")
SECRET_WORDS = re.compile(r"\b(connection_info|%s)\b" % "|".join(
    sorted(k for k in SECRET_KEYS if k not in STORE_OPTIONS)))
FROM_THE_STORE = re.compile(r"\w*bdms?\b[^\n\"']*?\.connection_info|block_device_mappings")


def group_members(group):
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        groups = yaml.safe_load(handle)["action_groups"]
    return ["virtblock.volumes." + name for name in groups[group] if isinstance(name, str)]


def tasks_of(entries, defaults=None, where=""):
    """(file place, task, module_defaults in force) of every task in *entries*, blocks opened."""
    for entry in entries or []:
        mine = dict(defaults or {})
        mine.update(entry.get("module_defaults") or {})
        if "block" in entry:
            for part in ("block", "rescue", "always"):
                yield from tasks_of(entry.get(part), mine, where)
        else:
            yield where, entry, mine


def action_of(task):
    actions = [k for k in task if k not in KEYWORDS]
    assert len(actions) == 1, "cannot tell the action of %r" % task.get("name")
    return actions[0]


def handles_secret(task, defaults):
    """Why *task* handles a secret (a sentence), or None."""
    action = action_of(task)
    if action in NO_MODULE:
        return None
    given = dict(task[action] if isinstance(task[action], dict) else {"_": task[action]})
    if action != "ansible.builtin.set_fact":
        given.update({"_vars": task.get("vars"), "_loop": task.get("loop")})
    for key, value in given.items():
        said = yaml.safe_dump(value, width=1 << 20)
        from_store = FROM_THE_STORE.search(said)
        said = FROM_THE_STORE.sub("", said)
        word = SECRET_WORDS.search(said) or (not from_store and SECRET_WORDS.search(key))
        if word:
            return "its arguments name %s" % word.group(1)
    if "group/virtblock.volumes.rbd" in defaults and action in group_members("rbd"):
        return "it gets the Ceph client options (rbd_key) from module_defaults"
    if action in RETURNS_SECRETS and (task[action] or {}).get("state") not in ("absent", "disconnected"):
        return "%s returns connection_info with its secret" % action
    return None


def role_tasks():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*.yml"))):
        with open(path) as handle:
            entries = yaml.safe_load(handle)
        place = os.path.relpath(path, ROOT)
        found += list(tasks_of(entries, where=place))
    return found


def test_every_task_that_handles_a_secret_is_no_log():
    tasks = role_tasks()
    assert len(tasks) > 40   # every role's task files were read
    judged = [(place, task.get("name"), handles_secret(task, defaults), task.get("no_log"))
              for place, task, defaults in tasks]
    secret = [j for j in judged if j[2]]
    assert len(secret) >= 8   # the audit sees the tasks it is about
    missing = ["%s: %r - %s" % (place, name, why) for place, name, why, no_log in secret
               if not no_log]
    assert not missing, "tasks that handle a secret without no_log:\n" + "\n".join(missing)


def test_the_audit_catches_a_task_that_shows_connection_info():
    # a task as one might write it: it would print the CHAP secret with -v
    task = {"name": "Show it", "virtblock.volumes.libvirt_disk_attach": {
        "connection_info": "{{ attach_volume_export.connection_info }}"}}
    assert handles_secret(task, {}) == "its arguments name connection_info"
    export = {"name": "Export", "virtblock.volumes.iscsi_target": {"volume_id": "x"}}
    assert "returns connection_info" in handles_secret(export, {})
    assert handles_secret(dict(export, **{"virtblock.volumes.iscsi_target": {"state": "absent"}}), {}) is None
    fact = {"name": "Keep", "ansible.builtin.set_fact": {"x": "{{ result.connection_info.data.auth_password }}"}}
    assert handles_secret(fact, {}) is not None
    stored = {"name": "Drop", "virtblock.volumes.libvirt_secret": {
        "connection_info": "{{ detach_volume_bdm.connection_info }}"}}
    assert handles_secret(stored, {}) is None
    looked_up = {"name": "Grow", "virtblock.volumes.libvirt_disk_attach": {
        "connection_info": "{{ (found.results[0].bdm | default({}, true)).connection_info }}"}}
    assert handles_secret(looked_up, {}) is None
    store = {"name": "Row", "virtblock.volumes.bdm_info": {"instance_uuid": "x"}}
    assert handles_secret(store, {"group/virtblock.volumes.store": {"db_password": "{{ pw }}"}}) is None
    assert handles_secret(store, {"group/virtblock.volumes.rbd": "{{ rbd }}"}) is None   # not in the group
    volume = {"name": "Make", "virtblock.volumes.volume": {"volume_id": "x"}}
    assert handles_secret(volume, {"group/virtblock.volumes.rbd": "{{ rbd }}"}) is not None
