"""The docs site (scripts/docs_site.sh: antsibull-docs + Sphinx) opened in headless Chromium,
Debian's ``chromium``: every module page renders with its options and its examples, and
no link between the site's pages is broken.

The site is served over HTTP on a loopback address with a free port (the pages' search and
theme scripts run as they would for a reader). CI's scripts/check.sh builds the site before
the tests; run alone, the test builds it first. ``VBTEST_SCREENSHOTS=DIR`` keeps two
screenshots (the collection's index and the iscsi_target module page) in DIR.
"""

import functools
import glob
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import urllib.parse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, ".build", "docs-site", "build", "html")
PAGES = os.path.join(SITE, "collections", "virtblock", "volumes")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic", "--disable-dev-shm-usage"]


class Links(html.parser.HTMLParser):
    """The hrefs and the ids (link targets) of one page."""

    def __init__(self):
        html.parser.HTMLParser.__init__(self)
        self.hrefs, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(text):
    links = Links()
    links.feed(text)
    return links


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def site():
    if not os.path.exists(os.path.join(PAGES, "index.html")):
        subprocess.run([os.path.join(ROOT, "scripts", "docs_site.sh")], check=True,
                       capture_output=True, timeout=1200)
    return SITE


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)   # a free port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d" % httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is not installed (scripts/apt-packages.txt: scripts/setup.sh)")
    profile = tempfile.mkdtemp(prefix="vbtest-chromium-")

    def run(*args):
        proc = subprocess.run([path] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile] + list(args),
                              capture_output=True, text=True, timeout=180, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc.stdout
    try:
        yield run
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def module_names():
    return sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                  if not p.endswith("__init__.py"))


def ansible_doc(names):
    proc = subprocess.run(["ansible-doc", "--json"] + ["virtblock.volumes." + n for n in names],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout)


def test_every_module_page_renders_its_options_and_examples(server, chromium):
    names = module_names()
    docs = ansible_doc(names)
    for name in names:
        dom = chromium("--dump-dom", "%s/collections/virtblock/volumes/%s_module.html" % (server, name))
        doc = docs["virtblock.volumes." + name]["doc"]
        assert "virtblock.volumes.%s module" % name in dom, name
        words = re.findall(r"[A-Za-z]{5,}", doc["short_description"])
        assert all(word in dom for word in words), (name, words)
        # Every option in the rendered Parameters table, under its anchor.
        assert 'id="parameters"' in dom, name
        for option in doc["options"]:
            assert 'id="parameter-%s"' % option in dom, (name, option)
        # The examples rendered as a highlighted YAML block holding the module's FQCN.
        examples = dom[dom.index('id="examples"'):]
        assert 'class="highlight' in examples and "virtblock.volumes." + name in examples, name


def test_no_link_between_the_sites_pages_is_broken(site):
    pages = {os.path.relpath(p, site): parse(read(p))
             for p in glob.glob(os.path.join(site, "**", "*.html"), recursive=True)}
    assert len(pages) > 20
    checked, broken = 0, []
    for page, links in pages.items():
        for href in links.hrefs:
            url = urllib.parse.urlsplit(href)
            if url.scheme or url.netloc or href.startswith("mailto:"):
                continue   # a link out of the site; only the site's own links are checked here
            if not url.path:
                target = page
            elif url.path.startswith("/"):   # the theme's home link: the site's root
                target = os.path.normpath(url.path.lstrip("/") or ".")
            else:
                target = os.path.normpath(os.path.join(os.path.dirname(page), url.path))
            if os.path.isdir(os.path.join(site, target)):
                target = os.path.normpath(os.path.join(target, "index.html"))
            checked += 1
            if not os.path.exists(os.path.join(site, target)):
                broken.append("%s -> %s" % (page, href))
            elif url.fragment and target in pages and url.fragment not in pages[target].ids:
                broken.append("%s -> %s (no such anchor)" % (page, href))
    assert not broken, "\n".join(broken[:30])
    assert checked > 100


def test_the_guides_and_roles_are_in_the_site(site):
    index = read(os.path.join(PAGES, "index.html"))
    for page in ("docsite/flow.html", "docsite/awx.html", "attach_volume_role.html",
                 "boot_from_volume_role.html", "block_device_mapping_v2_filter.html"):
        assert page in index, page
        assert os.path.exists(os.path.join(PAGES, page)), page


def test_screenshots_of_two_pages(server, chromium, tmp_path):
    out = os.environ.get("VBTEST_SCREENSHOTS") or str(tmp_path)
    os.makedirs(out, exist_ok=True)
    for page, name in (("index.html", "collection-index.png"),
                       ("iscsi_target_module.html", "iscsi_target-module.png")):
        path = os.path.join(out, name)
        chromium("--window-size=1280,1600", "--hide-scrollbars", "--screenshot=" + path,
                 "%s/collections/virtblock/volumes/%s" % (server, page))
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
        assert os.path.getsize(path) > 20000   # a rendered page, not a blank one
