"""Property-based fuzzing (hypothesis) of every module's argument spec, in-process, against the
real services: the session's tgtd, libvirtd, qemu-img and a SQLite store.

Each case starts from arguments that work and replaces up to three options with values drawn
from the option's type and from a hostile pool (wrong types, huge and non-finite numbers,
separators, newlines, quotes, XML). The controller side (the action plugin's argument check
and template) runs first for the modules that have one, as a playbook task would. Asserted for
every case: no traceback (neither from the controller side nor the module's generic error
path), the daemons still answer, and a case that fails changed nothing (tgtd's targets and
accounts, the work tree's files, the store's rows, the fuzz domain and libvirt's secrets).

Cases per module: VIRTBLOCK_FUZZ_CASES (default 200). Every path a case can name is under the
session's work directory (the cwd too), and the only libvirt domain it can name is its own.
"""

import contextlib
import hashlib
import importlib
import io
import json
import os
import re
import uuid

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.virtblock.volumes.plugins.module_utils.errors import VirtblockError  # noqa: E402
from ansible_collections.virtblock.volumes.plugins.plugin_utils.rendering import (  # noqa: E402
    COLLECTION_TEMPLATES)

PYTHON_ERROR = re.compile(r"^[A-Za-z_.]*(Error|Exception|Exit|Interrupt|Iteration)\b: ")
CASES = int(os.environ.get("VIRTBLOCK_FUZZ_CASES", "200"))
COLLECTION = "ansible_collections.virtblock.volumes.plugins"
FIGURES = {}

HOSTILE_TEXT = ["", " ", "abc", "a,b=c", "x\ny", "x\r\ny", 'q"/><x a="', "<disk/>", "&amp;", "%s",
                "{{ 7*7 }}", "\x00", "é\u202e", "A" * 300, "1e999", "nan", "inf", "-1", "0",
                "2147483648", "ALL", "yes", "null", "iqn.2024-01.org.evil:x,path=/etc/shadow"]
HOSTILE_ANY = HOSTILE_TEXT + [None, True, False, 0, -1, 1, 2 ** 31, 2 ** 63, -2 ** 63,
                              float("nan"), float("inf"), -0.5, 1.5, [], ["a,b"], {}, {"a": "b\n"}]


def hostile():
    return st.one_of(st.sampled_from(HOSTILE_ANY), st.text(max_size=40),
                     st.integers(min_value=-2 ** 64, max_value=2 ** 64))


def text_value():
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))


class Env(object):
    """What every case shares: a work directory (also the cwd), the session's daemons."""

    def __init__(self, base, tgtd, virt_uri):
        self.base = base
        self.tgtd = tgtd
        self.uri = virt_uri
        self.db_path = os.path.join(base, "store.sqlite")
        self.volumes_dir = os.path.join(base, "volumes")
        self.include_file = os.path.join(base, "tgt", "virtblock-volumes.conf")
        self.backing_dir = os.path.join(base, "backing")
        self.backing = os.path.join(base, "backing.img")
        with open(self.backing, "wb") as handle:
            handle.truncate(4 << 20)
        self.image = os.path.join(base, "image.raw")
        with open(self.image, "wb") as handle:
            handle.truncate(1 << 20)
        self.domain_name = "vbtest-fuzz-%s" % uuid.uuid4().hex[:8]
        self.domain_uuid = str(uuid.uuid4())
        self.volume_ids = [str(uuid.uuid4()) for dummy in range(3)]
        self.instance_uuid = str(uuid.uuid4())

    def path(self):
        """A path under the work directory (never above it: no '..', no other root)."""
        names = ["disk", "disk.eph0", "backing.img", "image.raw", "missing", "sub/dir/x",
                 "a,b=c", "x\ny", 'q"x', "volumes", ""]
        return st.one_of(st.sampled_from(names), st.text(alphabet="abc,=\n #'\"<>&", max_size=8)).map(
            lambda name: os.path.join(self.base, name.replace("..", "_")))

    def ensure_domain(self):
        """The session's own (shut off) domain, for the disk cases to attach to."""
        import libvirt
        try:
            self.libvirt_conn.lookupByName(self.domain_name)
        except libvirt.libvirtError:
            from support.libvirtd import domain_xml
            self.libvirt_conn.defineXML(domain_xml(self.domain_name, self.domain_uuid))

    def domain_names(self):
        """Only this session's domain, or names no domain has (never another user's)."""
        return st.one_of(st.sampled_from([self.domain_name, self.domain_uuid, 'x"/>', ""]),
                         st.text(max_size=12).map(lambda text: "vbtest-fuzz-none-" + text))

    def iscsi_info(self):
        data = {"target_iqn": "iqn.2010-10.org.openstack:volume-%s" % self.volume_ids[0],
                "target_portal": "%s:3260" % self.tgtd.ip, "target_lun": 1,
                "auth_method": "CHAP", "auth_username": "fuzzuser0001",
                "auth_password": "FuzzPassword1234", "device_path": self.backing}
        return {"driver_volume_type": "iscsi", "data": data}

    def connection_info(self):
        good = st.sampled_from([self.iscsi_info(),
                                {"driver_volume_type": "local", "data": {"device_path": self.backing}}])
        mutated = st.builds(lambda info, key, value: dict(info, data=dict(info["data"], **{key: value})),
                            good, st.sampled_from(["target_portal", "target_iqn", "target_lun", "device_path",
                                                   "auth_username", "hosts", "ports", "qos_specs",
                                                   "secret_uuid", "access_mode"]), hostile())
        return st.one_of(good, mutated, hostile())


def _option_strategy(env, name, spec):
    """Values for one option: mostly the type's, sometimes hostile ones."""
    kind = spec.get("type", "str")
    if spec.get("choices"):
        typed = st.sampled_from(list(spec["choices"]))
    elif name in ("connection_info",):
        typed = env.connection_info()
    elif name in ("volume_id", "source_volid", "snapshot_id", "image_id", "instance_uuid", "uuid",
                  "attachment_id"):
        typed = st.one_of(st.sampled_from(env.volume_ids + [env.instance_uuid]), st.uuids().map(str))
    elif kind == "path":
        typed = env.path()
    elif kind == "int":
        typed = st.one_of(st.integers(min_value=-3, max_value=40),
                          st.sampled_from([2 ** 31, 2 ** 31 - 1, 2 ** 63]))
    elif kind == "float":
        typed = st.floats(allow_nan=True, allow_infinity=True)
    elif kind == "bool":
        typed = st.booleans()
    elif kind == "list":
        typed = st.lists(text_value() if spec.get("elements") != "dict"
                         else st.dictionaries(text_value(), hostile(), max_size=3), max_size=3)
    elif kind == "dict":
        typed = st.dictionaries(text_value(), hostile(), max_size=3)
    else:
        typed = text_value()
    return st.one_of(typed, typed, typed, hostile())


class Target(object):
    """One module under fuzz: base arguments that work, options never fuzzed (they point at
    this session's daemons and work directory), and per-option restrictions."""

    def __init__(self, name, base, fixed, exclude=(), restrict=None, action=False,
                 parts=("files",)):
        self.name = name
        self.parts = parts
        self.base = base
        self.fixed = fixed
        self.exclude = set(exclude) | set(fixed)
        self.restrict = restrict or {}
        self.action = action

    def spec(self):
        module = importlib.import_module("%s.modules.%s" % (COLLECTION, self.name))
        for value in vars(module).values():
            shared = getattr(value, "spec", None)
            if isinstance(value, type) and isinstance(shared, dict) and shared.get("argument_spec"):
                return shared["argument_spec"]
            spec = getattr(value, "argument_spec", None)
            if isinstance(value, type) and isinstance(getattr(value, "record_spec", None), dict):
                from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.database import (
                    STORE_ARGUMENT_SPEC)
                return dict(STORE_ARGUMENT_SPEC, **value.record_spec)
            if isinstance(value, type) and isinstance(spec, dict) and spec:
                return spec
        raise AssertionError("no argument_spec in %s" % self.name)


def targets(env):
    store = dict(db_path=env.db_path, db_url=None, db_password=None)
    tgt = dict(control_port=env.tgtd.control_port, volumes_dir=env.volumes_dir,
               tgt_include_file=env.include_file)
    virt = dict(uri=env.uri)
    internal = ("template", "target_config", "domain_xml", "disk_xml")
    vol = env.volume_ids[0]
    return [
        Target("iscsi_target", dict(volume_id=vol, backing_store=env.backing,
                                    target_ip_address=env.tgtd.ip, chap_username="fuzzuser0001",
                                    chap_password="FuzzPassword1234", force=True),
               tgt, exclude=internal, action=True, parts=("files", "tgtd")),
        Target("volume", dict(volume_id=env.volume_ids[1], size_mib=4),
               dict(control_port=env.tgtd.control_port, volumes_dir=env.volumes_dir,
                    backing_dir=env.backing_dir),
               exclude=("backend", "volume_group"), parts=("files", "tgtd")),
        Target("local_disk", dict(path=os.path.join(env.base, "disk"), kind="swap", size_mib=1), {},
               restrict={"size": st.sampled_from([None, 0, -1, 2 ** 31, 2 ** 63, "abc", float("nan")])},
               exclude=("guest_format",)),
        Target("bdm_record", dict(instance_uuid=env.instance_uuid, volume_id=vol, state="reserved"), store, parts=("files", "store")),
        Target("bdm_info", dict(instance_uuid=env.instance_uuid), store, parts=("files", "store")),
        Target("volume_state", dict(volume_id=vol, state="present"), store, parts=("files", "store")),
        Target("libvirt_domain", dict(name=env.domain_name, uuid=env.domain_uuid, memory=64, vcpus=1,
                                      state="defined"), virt, exclude=internal + ("name",),
               restrict={"state": st.sampled_from(["defined", "stopped", "absent", "running "])},
               action=True, parts=("files", "libvirt")),
        Target("libvirt_disk_attach", dict(domain=env.domain_name, volume_id=env.volume_ids[2],
                                           connection_info={"driver_volume_type": "local",
                                                            "data": {"device_path": env.backing}}),
               virt, exclude=internal,
               restrict={"domain": env.domain_names()},
               action=True, parts=("files", "libvirt")),
        Target("libvirt_domain_info", dict(domain=env.domain_name), virt,
               restrict={"domain": env.domain_names()}, parts=("libvirt",)),
        Target("libvirt_secret", dict(connection_info=env.iscsi_info()), virt, parts=("libvirt",)),
        Target("connector_info", dict(my_ip="127.0.0.1"), {}),
        # disconnected only: a connect of a valid iSCSI connection_info is os-brick's ~10 s
        # login attempt here (no kernel initiator on this machine).
        Target("volume_connection", dict(connection_info=env.iscsi_info(), state="disconnected"),
               dict(lock_path=os.path.join(env.base, "locks"), state="disconnected")),
    ]


def run_case(target, args):
    """The controller side (action plugin) then the module, in-process: the task result,
    or raise AssertionError on a traceback."""
    args = dict(args)
    if target.action:
        action_class = importlib.import_module("%s.action.%s" % (COLLECTION, target.name)).ActionModule
        action = action_class.__new__(action_class)
        try:
            args = action.prepare(args, "virtblock.volumes.%s" % target.name,
                                  os.path.join(COLLECTION_TEMPLATES, action.default_template))
        except VirtblockError as err:
            return {"failed": True, "msg": err.msg, "_where": "controller"}
    module = importlib.import_module("%s.modules.%s" % (COLLECTION, target.name))
    out = io.StringIO()
    args["_ansible_no_log"] = False
    with patch_module_args(args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit:
            pass
    result = json.loads(out.getvalue())
    assert "exception" not in result, "%s traceback for %r:\n%s" % (target.name, args, result["exception"])
    # The modules' last resort (base.py) reports an unexpected Python error as "<Type>: ...":
    # a case that reaches it is a crash the module did not foresee.
    assert not PYTHON_ERROR.match(result.get("msg") or ""), "%s crashed for %r: %s" % (
        target.name, args, result.get("msg"))
    return result


def snapshot(env, parts):
    """What a case of this module could change (files and their bytes, tgtd, the store,
    libvirt), each of *parts* ("files", "store", "tgtd", "libvirt")."""
    out = {}
    if "files" in parts:
        out["files"] = _files(env)
    if "store" in parts:
        out["rows"] = _rows(env)
    if "tgtd" in parts:
        from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
        admin = TgtAdmin(control_port=env.tgtd.control_port)
        # A restored target may come back under another tid: the same target all the same.
        out["targets"] = re.sub(r"(?m)^Target \d+:", "Target:", admin.request("target", "show"))
        out["accounts"] = admin.accounts()
    if "libvirt" in parts:
        out.update(_libvirt(env))
    return out


def _files(env):
    files = {}
    for root, dirs, names in os.walk(env.base):
        dirs.sort()
        for name in names:
            path = os.path.join(root, name)
            if path.startswith(env.db_path):
                continue
            st_ = os.lstat(path)
            digest = ""
            if os.path.isfile(path) and st_.st_size < (1 << 20):
                with open(path, "rb") as handle:
                    digest = hashlib.sha1(handle.read()).hexdigest()
            files[os.path.relpath(path, env.base)] = (st_.st_size, st_.st_mode, digest)
        for name in dirs:
            files[os.path.relpath(os.path.join(root, name), env.base) + "/"] = ()
    return files


def _rows(env):
    """The store's bytes (file and write-ahead log): cheaper than a dump, as exact."""
    digest = hashlib.sha1()
    for path in (env.db_path, env.db_path + "-wal", env.db_path + "-journal"):
        if os.path.exists(path):
            with open(path, "rb") as handle:
                digest.update(path.encode() + handle.read())
    return digest.hexdigest()


def _libvirt(env):
    import libvirt
    conn = env.libvirt_conn
    try:
        try:
            dom = conn.lookupByName(env.domain_name)
            domain = (dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), dom.isActive())
        except libvirt.libvirtError:
            domain = None
        # libvirtd is shared: only the secrets of this session's volumes count.
        secrets = sorted(s.UUIDString() for s in conn.listAllSecrets()
                         if any(v in (s.usageID() or "") for v in env.volume_ids))
    finally:
        pass
    return {"domain": domain, "secrets": secrets}


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory, tgtd, libvirtd_running):
    base = str(tmp_path_factory.mktemp("fuzz"))
    os.chmod(base, 0o755)
    env = Env(base, tgtd, libvirtd_running)
    cwd = os.getcwd()
    os.chdir(base)
    libvirt = pytest.importorskip("libvirt")
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    env.libvirt_conn = libvirt.open(env.uri)
    try:
        yield env
    finally:
        os.chdir(cwd)
        env.libvirt_conn.close()
        conn = libvirt.open(env.uri)
        try:
            dom = conn.lookupByName(env.domain_name)
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(0)
        except libvirt.libvirtError:
            pass
        conn.close()
        from ansible_collections.virtblock.volumes.plugins.module_utils.adapters.tgtd import TgtAdmin
        admin = TgtAdmin(control_port=tgtd.control_port)
        for target in admin.targets():
            if any(volume_id in target.iqn for volume_id in env.volume_ids):
                admin.delete(target, force=True, accounts=target.accounts)
        if FIGURES:
            print("\nfuzz figures (cases, failed cleanly, succeeded): %s" % json.dumps(FIGURES, sort_keys=True))


NAMES = ["iscsi_target", "volume", "local_disk", "bdm_record", "bdm_info", "volume_state",
         "libvirt_domain", "libvirt_disk_attach", "libvirt_domain_info", "libvirt_secret",
         "connector_info", "volume_connection"]


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_module_argument_spec(fuzz_env, name):
    target = [t for t in targets(fuzz_env) if t.name == name][0]
    if name == "libvirt_disk_attach":
        fuzz_env.ensure_domain()
    spec = target.spec()
    options = sorted(o for o in spec if o not in target.exclude)
    strategies = {o: target.restrict[o] if o in target.restrict else _option_strategy(fuzz_env, o, spec[o]) for o in options}
    figures = FIGURES.setdefault(name, {"cases": 0, "failed_cleanly": 0, "succeeded": 0})

    @settings(max_examples=CASES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def case(data):
        chosen = data.draw(st.lists(st.sampled_from(options), max_size=3, unique=True), label="options")
        args = dict(target.base)
        for option in chosen:
            value = data.draw(strategies[option], label=option)
            if value is None:
                args.pop(option, None)
            else:
                args[option] = value
        args.update(target.fixed)
        before = snapshot(fuzz_env, target.parts)
        result = run_case(target, args)
        after = snapshot(fuzz_env, target.parts)
        figures["cases"] += 1
        if result.get("failed"):
            figures["failed_cleanly"] += 1
            if os.environ.get("VIRTBLOCK_FUZZ_VERBOSE"):
                print(name, result.get("msg"))
            changed = sorted(k for k in before if before[k] != after[k])
            assert not changed, "%s failed (%s) but changed %s for %r" % (name, result.get("msg"), changed, args)
        else:
            figures["succeeded"] += 1

    case()
    assert figures["cases"] >= min(CASES, 50)
