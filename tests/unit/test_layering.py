"""The layers of plugins/module_utils, checked from the source (ast, no import):

- rules/ are pure: they import only rules/, the errors and secrets modules and the standard library
  (none of its I/O modules) and call no ``open``;
- an adapter never imports a driver;
- a module never imports the libvirt adapter (libvirt objects stay there; modules get
  dicts and XML strings from a driver);
- a module is parse -> driver -> report: at most 120 lines of code besides its
  DOCUMENTATION, EXAMPLES and RETURN (blank and comment lines not counted).
"""

import ast
import os
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "plugins")
MU = os.path.join(ROOT, "module_utils")
PKG = "ansible_collections.virtblock.volumes.plugins.module_utils."

# Standard library modules that reach outside the process: not for rules.
IO_MODULES = {"os", "subprocess", "socket", "shutil", "tempfile", "sqlite3", "urllib", "http",
              "pathlib", "glob", "io", "select", "fcntl", "ctypes", "multiprocessing", "syslog",
              "logging", "time"}


def _py_files(folder):
    return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                  if name.endswith(".py") and name != "__init__.py")


def _imports(path):
    """Every module name *path* imports, at any depth (function-level imports too)."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == PKG.rstrip(".") or node.module.endswith(".module_utils.rules"):
                names.extend("%s.%s" % (node.module, alias.name) for alias in node.names)
            else:
                names.append(node.module)
    return tree, names


def _ids(paths):
    return [os.path.relpath(p, ROOT) for p in paths]


RULES = _py_files(os.path.join(MU, "rules"))
ADAPTERS = _py_files(os.path.join(MU, "adapters"))
MODULES = _py_files(os.path.join(ROOT, "modules"))


KIND_WORDS = {"rules": ("Rules:",), "adapters": ("Adapter:", "Adapter helper:"),
              "drivers": ("Driver:",)}


def test_the_three_kinds_exist_and_each_file_says_its_kind_first():
    for kind, words in KIND_WORDS.items():
        paths = _py_files(os.path.join(MU, kind))
        assert paths, kind
        for path in paths:
            with open(path) as handle:
                doc = ast.get_docstring(ast.parse(handle.read())) or ""
            assert doc.startswith(words), "%s: its docstring starts with %s" % (path, words[0])


@pytest.mark.parametrize("path", RULES, ids=_ids(RULES))
def test_rules_import_only_rules_errors_and_pure_stdlib(path):
    tree, names = _imports(path)
    bad = []
    for name in names:
        if name == "__future__":
            continue
        if name.startswith(PKG):
            rest = name[len(PKG):]
            if not (rest.startswith("rules.") or rest in ("errors", "secrets")):
                bad.append(name)
            continue
        top = name.split(".")[0]
        if top not in sys.stdlib_module_names or top in IO_MODULES:
            bad.append(name)
    assert bad == [], "%s imports %s" % (path, bad)
    opens = [node.lineno for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id == "open"]
    assert opens == [], "%s calls open() on lines %s" % (path, opens)


@pytest.mark.parametrize("path", ADAPTERS, ids=_ids(ADAPTERS))
def test_adapters_never_import_drivers(path):
    _tree, names = _imports(path)
    bad = [n for n in names if n.startswith(PKG + "drivers")]
    assert bad == [], "%s imports %s" % (path, bad)


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_modules_do_not_touch_the_libvirt_adapter(path):
    _tree, names = _imports(path)
    bad = [n for n in names if n.startswith(PKG + "adapters.libvirt_host") or n == "libvirt"]
    assert bad == [], "%s imports %s: go through a driver" % (path, bad)


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_every_module_goes_through_the_secret_masking_hook(path):
    # base.VirtblockModule builds the AnsibleModule whose _load_params masks nested secrets.
    _tree, names = _imports(path)
    assert PKG + "base" in names or PKG + "record_module" in names, path
    with open(path) as handle:
        assert "AnsibleModule(" not in handle.read(), path


MAX_MODULE_CODE_LINES = 120


def _code_lines(path):
    with open(path) as handle:
        source = handle.read()
    docs = set()
    for node in ast.parse(source, path).body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) in ("DOCUMENTATION", "EXAMPLES", "RETURN")
                for target in node.targets):
            docs.update(range(node.lineno, node.end_lineno + 1))
    return sum(1 for number, line in enumerate(source.splitlines(), 1)
               if number not in docs and line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("path", MODULES, ids=_ids(MODULES))
def test_modules_are_thin(path):
    assert _code_lines(path) <= MAX_MODULE_CODE_LINES, (
        "%s has %d lines of code besides its docs: move the work into a driver"
        % (path, _code_lines(path)))


def test_the_line_count_skips_docs_blanks_and_comments(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("# licence\nDOCUMENTATION = '''\na: 1\nb: 2\n'''\n\nimport os\nx = 1  # c\n")
    assert _code_lines(str(module)) == 2


def test_the_checks_see_a_bad_import(tmp_path):
    # The test itself can fail: a rule importing an adapter is caught.
    bad = tmp_path / "bad_rule.py"
    bad.write_text("import os\nfrom %sadapters.files import ensure_dir\n" % PKG)
    _tree, names = _imports(str(bad))
    assert names == ["os", PKG + "adapters.files"]


@pytest.mark.parametrize("leaf", ["errors.py", "secrets.py"])
def test_the_leaves_the_rules_use_import_nothing_of_the_collection(leaf):
    _tree, names = _imports(os.path.join(MU, leaf))
    assert [n for n in names if n.startswith("ansible")] == []


def test_one_device_names_file():
    assert not os.path.exists(os.path.join(MU, "rules", "device_naming.py"))
