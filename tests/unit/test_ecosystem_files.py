"""The files around the collection agree with it: the AWX credential type injects exactly
the environment variables the modules read, the AWX guide shows those files as they are,
the execution environment installs this version of the collection with the pins of
requirements.txt, and the artifact leaves the development tree out."""
import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*path):
    with open(os.path.join(ROOT, *path)) as handle:
        return handle.read()


def env_fallback_names():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True):
        for match in re.finditer(r"env_fallback,\s*\[([^\]]*)\]", read(path)):
            names.update(re.findall(r"[\"']([A-Z_]+)[\"']", match.group(1)))
    return names


def rst_yaml_block_after(text, marker):
    """The first ``.. code-block:: yaml`` after *marker*, parsed."""
    rest = text[text.index(marker):]
    block = rest[rest.index(".. code-block:: yaml"):].split("\n")[2:]
    lines = []
    for line in block:
        if line and not line.startswith("   "):
            break
        lines.append(line[3:])
    return yaml.safe_load("\n".join(lines))


def pins(text):
    return {re.split(r"[\[=]", line)[0].lower(): line.strip() for line in text.splitlines()
            if line.strip() and not line.startswith("#")}


def test_credential_type_injects_every_secret_the_modules_read():
    injectors = yaml.safe_load(read("docs", "awx", "credential_type_injectors.yml"))
    assert set(injectors["env"]) == env_fallback_names()
    inputs = yaml.safe_load(read("docs", "awx", "credential_type_inputs.yml"))
    field_ids = {field["id"] for field in inputs["fields"]}
    for template in injectors["env"].values():
        assert re.fullmatch(r"\{\{ (\w+) \}\}", template).group(1) in field_ids
    secret = {field["id"] for field in inputs["fields"] if field.get("secret")}
    assert {"db_password", "chap_password"} <= secret


def test_awx_guide_shows_the_credential_type_files_as_they_are():
    guide = read("docs", "docsite", "rst", "awx.rst")
    assert rst_yaml_block_after(guide, "Input configuration") == \
        yaml.safe_load(read("docs", "awx", "credential_type_inputs.yml"))
    assert rst_yaml_block_after(guide, "Injector configuration") == \
        yaml.safe_load(read("docs", "awx", "credential_type_injectors.yml"))
    assert rst_yaml_block_after(guide, "An inventory with a group per part") == \
        yaml.safe_load(read("docs", "awx", "inventory.yml"))


def test_execution_environment_installs_this_version_with_the_pinned_packages():
    galaxy = yaml.safe_load(read("galaxy.yml"))
    ee = yaml.safe_load(read("execution-environment.yml"))
    assert ee["version"] == 3
    artifact = "virtblock-volumes-%s.tar.gz" % galaxy["version"]
    assert [c["name"] for c in ee["dependencies"]["galaxy"]["collections"]] == ["/build/collections/" + artifact]
    assert ee["additional_build_files"][0]["src"].endswith("/" + artifact)
    core = pins(read("requirements.txt"))["ansible-core"]
    assert ee["dependencies"]["ansible_core"]["package_pip"] == core
    # The collection's own EE metadata names the same files, and they exist.
    meta = yaml.safe_load(read("meta", "execution-environment.yml"))
    for kind in ("python", "system"):
        assert meta["dependencies"][kind] == ee["dependencies"][kind]
        assert os.path.exists(os.path.join(ROOT, meta["dependencies"][kind]))
    ee_pins = pins(read(meta["dependencies"]["python"]))
    dev_pins = pins(read("requirements.txt"))
    for name, line in ee_pins.items():
        assert dev_pins[name] == line, "requirements-ee.txt and requirements.txt disagree on %s" % name
    # Only controller-side packages: the managed hosts' libraries come from the prerequisites role.
    assert not {"libvirt-python", "os-brick", "pytest", "molecule", "ansible-core"} & set(ee_pins)


def test_artifact_leaves_the_development_tree_out():
    ignored = set(yaml.safe_load(read("galaxy.yml"))["build_ignore"])
    assert {".venv", ".build", "tests", "scripts", "bench", ".ci"} <= ignored
    for shipped in ("requirements-ee.txt", "bindep.txt", "docs", "plugins", "meta", "roles", "playbooks"):
        assert shipped not in ignored


def test_requires_ansible_is_the_oldest_release_the_matrix_tests():
    """meta/runtime.yml admits no end-of-life ansible-core, and every release the matrix
    tests (scripts/ci/ansible-core-matrix.txt) is one requires_ansible admits; the pin of
    requirements.txt is one of them, and the roles say the same minimum."""
    runtime = yaml.safe_load(read("meta", "runtime.yml"))
    oldest = re.fullmatch(r">=(\d+)\.(\d+)\.0", runtime["requires_ansible"]).groups()
    releases = [line.split()[0] for line in read("scripts", "ci", "ansible-core-matrix.txt").splitlines()
                if line.strip() and not line.startswith("#")]
    series = sorted({tuple(r.split(".")[:2]) for r in releases}, key=lambda s: tuple(map(int, s)))
    assert series[0] == oldest
    assert tuple(map(int, oldest)) >= (2, 19)       # 2.18 and older are end of life
    assert pins(read("requirements.txt"))["ansible-core"].split("==")[1] in releases
    for meta in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "main.yml")):
        info = yaml.safe_load(read(meta))["galaxy_info"]
        assert info["min_ansible_version"] == "%s.%s" % oldest, meta
        debian = [p for p in info["platforms"] if p["name"] == "Debian"][0]
        assert {"bookworm", "trixie"} <= set(debian["versions"]), meta


def test_readme_and_docs_links_stay_in_the_repository_and_resolve():
    """The README is the front page: every link of it and of docs/*.md points at a file
    of this repository that exists (an anchor in it aside), none leaves the repository."""
    pages = [os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "docs", "*.md"))
    checked = 0
    for page in pages:
        text = read(page)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            assert not re.match(r"[a-z][a-z0-9+.-]*:", target), "%s links outside: %s" % (page, target)
            path = target.split("#")[0]
            if not path:
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path))
            assert resolved.startswith(ROOT + os.sep), "%s leaves the repository: %s" % (page, target)
            assert os.path.exists(resolved), "%s: broken link %s" % (page, target)
            checked += 1
    readme = read("README.md")
    for doc in ("docs/design.md", "docs/modules.md", "docs/roles.md", "docs/records.md",
                "docs/boot-from-volume.md", "docs/docsite/rst/awx.rst", "docs/benchmarks.md"):
        assert "(%s)" % doc in readme, "the README does not link %s" % doc
    assert checked >= 20


def test_readme_playbook_example_is_short_and_uses_the_roles_arguments():
    readme = read("README.md")
    block = readme[readme.index("```yaml"):]
    block = block[len("```yaml"):block.index("```", 7)].strip("\n")
    assert len(block.splitlines()) <= 16
    play, = yaml.safe_load(block)
    role = play["roles"][0]
    specs = yaml.safe_load(read("roles", "attach_volume", "meta", "argument_specs.yml"))
    options = specs["argument_specs"]["main"]["options"]
    assert role["role"] == "virtblock.volumes.attach_volume"
    assert set(role["vars"]) <= set(options)
