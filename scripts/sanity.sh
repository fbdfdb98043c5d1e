#!/usr/bin/env bash
# ansible-test sanity on this collection, offline, with no ignore file.
# ansible-test insists on running from a directory whose real path ends in
# ansible_collections/virtblock/volumes; the .build/collections link does not count
# (it resolves the working directory), so the tracked and new files are copied under
# .build/sanity/<ansible-core version>/ansible_collections/virtblock/volumes.
# It also downloads a get-pip script from a host these machines cannot reach: the
# stand-in in scripts/ci/get_pip_shim.py is put in its cache first.
# Arguments go to ansible-test (e.g. --test pep8).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
# The cache file is named after the pip version this ansible-test bootstraps (24.2 for
# ansible-core 2.19); read it from ansible-test itself so a new pin keeps working.
at_dir=$(python -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(grep -oP "^\s+pip='\K[0-9.]+" "$at_dir/_internal/python_requirements.py")
install -m 0644 scripts/ci/get_pip_shim.py "$cache/get_pip_${pip_version//./_}.py"

# One copy per ansible-core release: scripts/matrix.sh runs sanity in several virtualenvs.
core_version=$(python -c 'from ansible.release import __version__; print(__version__)')
dest="$VIRTBLOCK_BUILD/sanity/$core_version/ansible_collections/virtblock/volumes"
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard \
  | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$dest"
# Inside this worktree ansible-test would ask the worktree's git for the files, and it
# ignores .build/: the copy gets a repository of its own (nothing committed; ansible-test
# lists untracked files too).
git -C "$dest" init -q

cd "$dest"
python_version=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
exec ansible-test sanity --venv --python "$python_version" --color no "$@"
