#!/usr/bin/env bash
# The collection's ecosystem checks, run by CI (.ci/run) before the test suite:
#   sanity     ansible-test sanity, no ignore file (scripts/sanity.sh)
#   lint       ansible-lint, production profile, on roles/, playbooks/, extensions/molecule/
#   docs       antsibull-docs lint of the plugin and role docs and docs/docsite
#   changelog  antsibull-changelog lint, and a trial release in a scratch copy
#   artifact   ansible-galaxy collection build, install into a fresh collections path,
#              the demo run twice from that installed copy (the second run changes nothing)
#   ee         ansible-builder create of execution-environment.yml (the build context only)
#   site       the docs site: antsibull-docs + Sphinx HTML in .build/docs-site (scripts/docs_site.sh);
#              tests/integration/test_docs_site.py opens it in headless Chromium
# Each check runs even when an earlier one failed; the exit status says whether all passed.
# Arguments pick checks (scripts/check.sh lint docs); none means all.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
scripts/setup.sh || exit 1
. scripts/env.sh
# ansible-lint installs the collection it lints into $ANSIBLE_HOME/collections (~/.ansible
# by default, shared with whatever else runs on the machine): keep it in .build.
export ANSIBLE_HOME="$VIRTBLOCK_BUILD/ansible-home"

# The check tools, in the same virtualenv, never moving a pin of requirements.txt.
if ! command -v shellcheck >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }
fi
stamp="$VIRTBLOCK_VENV/.requirements-checks.sha256"
want=$(cat requirements.txt requirements-checks.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "check: installing requirements-checks.txt"
  # pip takes no extras in a constraints file: psycopg[binary] -> psycopg.
  sed 's/\[[^]]*\]//' requirements.txt > "$VIRTBLOCK_BUILD/constraints.txt"
  pip install -q --disable-pip-version-check -r requirements-checks.txt \
    -c "$VIRTBLOCK_BUILD/constraints.txt" || exit 1
  echo "$want" > "$stamp"
fi
pinned=$(sed -n 's/^ansible-core==//p' requirements.txt)
have=$(python -c 'from ansible.release import __version__; print(__version__)')
[ "$have" = "$pinned" ] || { echo "check: ansible-core is $have, requirements.txt pins $pinned"; exit 1; }

version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
artifact="$VIRTBLOCK_BUILD/dist/virtblock-volumes-$version.tar.gz"
installed="$VIRTBLOCK_BUILD/installed"

check_sanity() { scripts/sanity.sh; }

check_lint() { ansible-lint --offline; }

check_docs() {
  antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
    --validate-collection-refs all --disallow-unknown-collection-refs .
}

check_changelog() {
  antsibull-changelog lint || return 1
  # The fragments must also make a release: try one in a scratch copy of the tree.
  local scratch
  scratch=$(mktemp -d)
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$scratch"
  (cd "$scratch" && antsibull-changelog release --version "$version" >/dev/null \
    && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml \
    && test -s CHANGELOG.rst)
  local rc=$?
  rm -rf "$scratch"
  return $rc
}

check_artifact() {
  rm -rf "$VIRTBLOCK_BUILD/dist" "$installed"
  ansible-galaxy collection build --output-path "$VIRTBLOCK_BUILD/dist" . || return 1
  echo "artifact: $artifact ($(stat -c %s "$artifact") bytes)"
  # A collections path of its own, so nothing resolves to this source tree.
  ANSIBLE_COLLECTIONS_PATH="$installed" \
    ansible-galaxy collection install -p "$installed" "$artifact" || return 1
  local out rc was_running
  # The demo leaves its VM running for whoever ran it. A VM this check started is stopped
  # when the check ends (its definition and disks stay): an idle TCG guest costs a tenth
  # of a core for the rest of a CI run.
  was_running=$(demo_vm_running)
  for run in 1 2; do
    echo "demo run $run from $installed"
    out=$(VIRTBLOCK_COLLECTIONS_PATH="$installed" scripts/demo.sh 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^collection:|^localhost +:|^in the VM:'
    [ $rc -eq 0 ] || { printf '%s\n' "$out" | tail -n 30; return 1; }
    printf '%s\n' "$out" | grep -q "^collection: $installed/ansible_collections" \
      || { echo "the demo did not run from $installed"; return 1; }
  done
  [ "$was_running" = yes ] || demo_vm_stop
  printf '%s\n' "$out" | grep -Eq '^localhost +: .*changed=0 ' \
    || { echo "the second demo run changed something"; return 1; }
}

demo_vm_running() {  # yes/no: is the demo's VM (scripts/demo_domain.py) running
  python - <<'PY' 2>/dev/null || echo no
import libvirt
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
try:
    print("yes" if libvirt.open("qemu:///system").lookupByName("virtblock-demo").isActive() else "no")
except libvirt.libvirtError:
    print("no")
PY
}

demo_vm_stop() {
  python - <<'PY' 2>/dev/null || true
import libvirt
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
try:
    dom = libvirt.open("qemu:///system").lookupByName("virtblock-demo")
    if dom.isActive():
        dom.destroy()
except libvirt.libvirtError:
    pass
PY
}

check_ee() {
  [ -f "$artifact" ] || ansible-galaxy collection build --output-path "$VIRTBLOCK_BUILD/dist" . || return 1
  rm -rf "$VIRTBLOCK_BUILD/ee-context"
  ansible-builder create --file execution-environment.yml --context "$VIRTBLOCK_BUILD/ee-context" || return 1
  test -f "$VIRTBLOCK_BUILD/ee-context/_build/collections/$(basename "$artifact")" \
    || { echo "the collection artifact is not in the EE build context"; return 1; }
  # What ansible-builder will put into the image for the collection (meta/execution-environment.yml).
  if [ -d "$installed/ansible_collections" ]; then
    ansible-builder introspect --sanitize "$installed"
  fi
}

check_site() { scripts/docs_site.sh; }

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(sanity lint docs changelog artifact ee site)
failed=()
summary=()
for name in "${checks[@]}"; do
  echo "=== check: $name"
  start=$SECONDS
  if "check_$name"; then status=ok; else status=FAILED; failed+=("$name"); fi
  summary+=("$(printf '%-10s %-6s %4ds' "$name" "$status" $((SECONDS - start)))")
done
echo "=== check summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "check: FAILED: ${failed[*]}"
  exit 1
fi
echo "check: all passed"
