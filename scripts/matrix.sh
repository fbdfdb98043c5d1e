#!/usr/bin/env bash
# The ansible-core support matrix (scripts/ci/ansible-core-matrix.txt): for every release
# that a Python on this machine can run, ansible-test sanity and the attach, detach and boot
# playbook tests, each release in a virtualenv of its own under .build/matrix/. The release
# pinned in requirements.txt runs in the main virtualenv; .ci/run runs the full suite there.
#
#   scripts/matrix.sh            every release a Python here can run
#   scripts/matrix.sh 2.20       only the releases starting with 2.20
#   scripts/matrix.sh --others   all but the pinned release (.ci/run: check.sh runs its
#                                sanity, and the full suite runs on it)
#
# Pythons looked for: the main virtualenv's, Debian's /usr/bin/python3.N and pyenv's
# versions (the CI machines have both). The first Python that is new enough serves a
# release; where a release could use several, the newest serves the newest release so
# that the matrix covers as many Pythons as it can.
# The results go to .build/matrix/results.tsv (release, python, check, result, seconds),
# and a table is printed at the end. Exit status: 0 when every run check passed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
scripts/setup.sh >/dev/null || exit 1
. scripts/env.sh
main_venv="$VIRTBLOCK_VENV"
matrix="$VIRTBLOCK_BUILD/matrix"
mkdir -p "$matrix"
results="$matrix/results.tsv"
: > "$results"
others=false
[ "${1:-}" = --others ] && { others=true; shift; }
only="${1:-}"
pinned=$(sed -n 's/^ansible-core==//p' requirements.txt)
# The attach/detach and boot playbook tests: a guest, tgtd, libvirt and the store, run
# through ansible-playbook of the release under test.
PLAYBOOK_TESTS=(
  "tests/integration/test_attach_playbook.py::test_attach_to_a_running_guest_then_detach_both_idempotent"
  "tests/integration/test_boot_from_volume.py::test_boot_from_an_image_volume_really_boots_and_delete_honours_delete_on_termination"
)

pythons() {  # every Python 3 interpreter on the machine, one "X.Y path" a line, oldest first
  {
    for py in "$main_venv/bin/python" /usr/bin/python3.[0-9]* \
              "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.*/bin/python3; do
      [ -x "$py" ] || continue
      case "$py" in *-config|*m) continue ;; esac
      v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
      echo "$v $py"
    done
  } | sort -t. -k1,1n -k2,2n -u -k1,1
}

version_ge() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$results"; }

run_check() {  # run_check RELEASE PYTHON NAME COMMAND...: run, time and record one check
  local release=$1 python=$2 name=$3 start=$SECONDS log rc
  shift 3
  log="$matrix/$release-$name.log"
  echo "=== matrix: ansible-core $release on Python $python: $name"
  "$@" > "$log" 2>&1; rc=$?
  tail -n 3 "$log"
  if [ $rc -eq 0 ]; then record "$release" "$python" "$name" ok $((SECONDS - start))
  else record "$release" "$python" "$name" FAILED $((SECONDS - start)); tail -n 40 "$log"; fi
  return $rc
}

# shellcheck disable=SC2317  # called through run_check
make_venv() {  # make_venv RELEASE PYTHON_PATH VENV: the requirements with this ansible-core
  local release=$1 py=$2 venv=$3 want stamp
  want=$( (sed "s/^ansible-core==.*/ansible-core==$release/" requirements.txt; "$py" -VV) | sha256sum | cut -d' ' -f1)
  stamp="$venv/.matrix.sha256"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  rm -rf "$venv"
  "$py" -m venv "$venv" || return 1
  sed "s/^ansible-core==.*/ansible-core==$release/" requirements.txt > "$venv/requirements.txt"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$venv/requirements.txt" || return 1
  echo "$want" > "$stamp"
}

mapfile -t found < <(pythons)
matrix_file=scripts/ci/ansible-core-matrix.txt
newest=$(grep -v '^#' "$matrix_file" | awk 'NF{print $1}' | sort -V | tail -n1)
failed=0
while read -r release min_python; do
  case "$release" in ''|\#*) continue ;; esac
  [ -n "$only" ] && [[ "$release" != "$only"* ]] && continue
  # The pinned release: the main virtualenv and its Python.
  if [ "$release" = "$pinned" ]; then
    $others && continue
    py="$main_venv/bin/python"; venv="$main_venv"
    pyv=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  else
    candidates=()
    for line in "${found[@]}"; do
      version_ge "${line%% *}" "$min_python" && candidates+=("$line")
    done
    if [ ${#candidates[@]} -eq 0 ]; then
      echo "=== matrix: ansible-core $release needs Python >= $min_python: none on this machine, not tested"
      record "$release" "-" all "not tested (no Python >= $min_python)" 0
      continue
    fi
    # The newest release takes the newest Python; the others the oldest that fits.
    if [ "$release" = "$newest" ]; then
      pick=${candidates[-1]}
    else
      pick=${candidates[0]}
    fi
    pyv=${pick%% *}; py=${pick#* }
    venv="$matrix/ansible-core-$release"
    run_check "$release" "$pyv" venv make_venv "$release" "$py" "$venv" || { failed=1; continue; }
  fi
  run_check "$release" "$pyv" sanity env VIRTBLOCK_VENV="$venv" scripts/sanity.sh || failed=1
  run_check "$release" "$pyv" playbooks env VIRTBLOCK_VENV="$venv" bash -c \
    '. scripts/env.sh && python -m pytest -p no:cacheprovider -q "$@"' _ "${PLAYBOOK_TESTS[@]}" || failed=1
done < "$matrix_file"

scripts/ci/matrix_table.sh "$results"
exit $failed
