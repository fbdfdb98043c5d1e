#!/usr/bin/env bash
# The collection's docs site: antsibull-docs renders the modules, filters, roles and the
# guides of docs/docsite/ as reStructuredText, Sphinx (sphinx-ansible-theme) makes the HTML.
#   scripts/docs_site.sh      -> .build/docs-site/build/html/index.html
# Offline: no intersphinx inventories are fetched, and the few labels of Ansible's own docs
# that the generated pages refer to resolve to a page of this site that says where they are
# (so every link of the site stays in it). Warnings fail the build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
site="$VIRTBLOCK_BUILD/docs-site"
rm -rf "$site"
mkdir -p "$site"
antsibull-docs sphinx-init --use-current --dest-dir "$site" virtblock.volumes >/dev/null
cat >> "$site/conf.py" <<'CONF'

# virtblock: built offline, nothing fetched.
intersphinx_mapping = {}
project = 'virtblock.volumes'
title = html_short_title = 'virtblock.volumes documentation'
CONF
# The collection page's "installed with" line, not a link to a site outside this one.
sed -i '/^collection_url = {/,/^}/d' "$site/antsibull-docs.cfg"
chmod og-w "$site/rst"
antsibull-docs --config-file "$site/antsibull-docs.cfg" collection --cleanup everything \
  --use-current --dest-dir "$site/rst" virtblock.volumes >/dev/null
cat > "$site/rst/ansible_references.rst" <<'RST'
:orphan:

Ansible's own documentation
===========================

The module pages refer to these parts of Ansible's documentation (``ansible-doc``'s
*Ansible documentation*); this site is built offline and does not link out.

.. _common_return_values:

Common return values
--------------------

Every module returns ``changed``, ``failed``, ``msg`` (on failure), ``diff`` (in diff mode)
and the other keys Ansible documents as *Return Values* in its reference guide.

.. _action_plugins:

Action plugins
--------------

An action plugin runs on the controller before its module: here it renders the module's
template of ``templates/`` with Jinja2 and hands the module the text (Ansible's *Action
plugins* in its developer guide).

.. _ansible_configuration_settings:

Configuration settings
----------------------

Ansible's settings (``ansible.cfg``, ``ANSIBLE_*`` variables): ``ansible-config list``.
RST
sphinx-build -M html "$site/rst" "$site/build" -c "$site" -W --keep-going -q
echo "docs site: $site/build/html/index.html ($(find "$site/build/html" -name '*.html' | wc -l) pages)"
