# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docsite tier (`make docsite`): build the collection's docsite offline with antsibull-docs
and Sphinx, the guides of docs/*.md included as extra docs (docs/docsite/extra-docs.yml), then open
it in headless Chromium and check that the module index and one module page rendered.

A warning from the collection's own docs fails the tier. The warnings that come only from being
offline do not: intersphinx cannot fetch its inventories, so a reference to a label of another
project (ansible-core's docs, ansible.builtin's modules) stays unresolved. Every other warning,
and an unresolved label of this collection, fails.

Output (ignored by git): tests/output/docsite/ with the site in build/html, the Sphinx warnings
in warnings.log, the DOMs Chromium dumped and the screenshot screenshot.png.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "tests", "output", "docsite")
COLLECTION = "directiron.sriov"
OWN_LABEL = "ansible_collections.%s." % COLLECTION
BIN = os.path.dirname(os.path.abspath(sys.executable))
# The module page the tier opens, and what it must show.
MODULE = "sriov_host"
MODULE_OPTIONS = ("sriov_pfs", "persist", "prune", "config_root")
CHROMIUM = ("chromium", "chromium-browser")

WARNING_RE = re.compile(r"^(?P<where>\S.*?)?:?\s*WARNING: (?P<text>.*)$")
OFFLINE_INVENTORY = "failed to reach any of the inventories"
UNDEFINED_LABEL_RE = re.compile(r"undefined label: '(?P<label>[^']+)'")


def run(cmd, **kwargs):
    started = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False, **kwargs)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        raise SystemExit("docsite: %s failed (exit %d)" % (os.path.basename(cmd[0]), proc.returncode))
    return proc.stdout, time.time() - started


def classify(lines):
    """Split Sphinx's warning lines into (own, offline): the intersphinx inventory warnings (and
    their continuation lines) and unresolved labels of other projects are offline, the rest own."""
    own, offline = [], []
    in_inventory = False
    for line in lines:
        if not line.strip():
            continue
        match = WARNING_RE.match(line)
        if match is None:
            # A continuation line: it belongs to the warning above it.
            (offline if in_inventory else own).append(line)
            continue
        text = match.group("text")
        in_inventory = OFFLINE_INVENTORY in text
        label = UNDEFINED_LABEL_RE.search(text)
        if in_inventory or (label and not label.group("label").startswith(OWN_LABEL)):
            offline.append(line)
        else:
            own.append(line)
    return own, offline


def build():
    site = OUT
    if os.path.isdir(site):
        shutil.rmtree(site)
    os.makedirs(site)
    antsibull = os.path.join(BIN, "antsibull-docs")
    run([antsibull, "sphinx-init", "--use-current", "--squash-hierarchy", "--dest-dir", site,
         "--project", COLLECTION, "--copyright", "directiron.sriov contributors",
         "--title", "directiron.sriov", "--html-short-title", "directiron.sriov", "--lenient", COLLECTION])
    with open(os.path.join(site, "conf.py"), "a") as conf:
        # The guides are Markdown (docs/*.md), rendered by MyST.
        conf.write("\nextensions.append('myst_parser')\nmyst_heading_anchors = 3\n")
    rst = os.path.join(site, "rst")
    if not os.path.isdir(rst):
        os.makedirs(rst)
    os.chmod(rst, 0o755)
    dummy, seconds = run([antsibull, "--config-file", os.path.join(site, "antsibull-docs.cfg"), "collection",
                          "--fail-on-error", "--cleanup", "everything", "--use-current", "--squash-hierarchy",
                          "--dest-dir", rst, COLLECTION])
    print("docsite: antsibull-docs wrote %d RST files in %.1f s" % (len(glob.glob(os.path.join(rst, "**", "*.rst"), recursive=True)), seconds))
    # Each extra doc rst/docsite/<guide>.rst stands for docs/<guide>.md: the Markdown takes its place,
    # under the same label, so the guides' links to each other (fleet.md -> reliability.md) resolve.
    for stub in glob.glob(os.path.join(rst, "docsite", "*.rst")):
        guide = os.path.basename(stub)[:-4]
        source = os.path.join(ROOT, "docs", guide + ".md")
        if not os.path.isfile(source):
            raise SystemExit("docsite: docs/docsite/rst/%s.rst names no docs/%s.md" % (guide, guide))
        with open(source) as handle:
            markdown = handle.read()
        with open(os.path.join(rst, "docsite", guide + ".md"), "w") as handle:
            handle.write("(%sdocsite.%s)=\n\n%s" % (OWN_LABEL, guide, markdown))
        os.remove(stub)
    warnings = os.path.join(site, "warnings.log")
    dummy, seconds = run([os.path.join(BIN, "sphinx-build"), "-M", "html", rst, os.path.join(site, "build"),
                          "-c", site, "-q", "-w", warnings])
    with open(warnings) as handle:
        own, offline = classify(handle.read().splitlines())
    print("docsite: sphinx-build in %.1f s, %d warning lines from being offline (ignored)" % (seconds, len(offline)))
    if own:
        print("docsite: warnings from the collection's own docs:")
        print("\n".join(own))
        raise SystemExit("docsite: %d warning lines from the collection's own docs" % len(own))
    return os.path.join(site, "build", "html")


def chromium():
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("docsite: no chromium on PATH (make host-deps installs it)")


def browse(browser, page, *args):
    # --no-sandbox: the tier may run as root (CI does); the page is our own local file.
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--user-data-dir=" + os.path.join(OUT, "chromium-profile")] + list(args) + ["file://" + page]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)
    if proc.returncode != 0:
        sys.stdout.write(proc.stderr)
        raise SystemExit("docsite: chromium failed on %s (exit %d)" % (page, proc.returncode))
    return proc.stdout


def text_of(dom):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))


def check(html):
    browser = chromium()
    modules = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
    failures = []

    # The collection's index page holds the module index (a "Modules" list) and the guides.
    dom = browse(browser, os.path.join(html, "index.html"), "--dump-dom")
    with open(os.path.join(OUT, "index.dom.html"), "w") as handle:
        handle.write(dom)
    text = text_of(dom)
    missing = [m for m in modules if "%s.%s" % (COLLECTION, m) not in text or 'href="%s_module.html' % m not in dom]
    if missing:
        failures.append("module index: no entry or link for %s" % ", ".join(missing))
    guides = sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(ROOT, "docs", "docsite", "rst", "*.rst")))
    missing = [g for g in guides if 'href="docsite/%s.html' % g not in dom]
    if missing:
        failures.append("collection index: no link to the guides %s" % ", ".join(missing))

    module_page = os.path.join(html, "%s_module.html" % MODULE)
    dom = browse(browser, module_page, "--dump-dom")
    with open(os.path.join(OUT, "%s_module.dom.html" % MODULE), "w") as handle:
        handle.write(dom)
    text = text_of(dom)
    if "%s.%s module" % (COLLECTION, MODULE) not in text:
        failures.append("%s page: no title" % MODULE)
    # The options table: every option row carries an anchor parameter-<name>.
    missing = [o for o in MODULE_OPTIONS if 'id="parameter-%s"' % o not in dom]
    if missing:
        failures.append("%s page: no option row for %s" % (MODULE, ", ".join(missing)))
    for section in ("Synopsis", "Parameters", "Examples", "Return Values"):
        if section not in text:
            failures.append("%s page: no %s section" % (MODULE, section))
    for guide in guides:
        dom = browse(browser, os.path.join(html, "docsite", guide + ".html"), "--dump-dom")
        if "<h1" not in dom:
            failures.append("guide %s: no heading rendered" % guide)

    screenshot = os.path.join(OUT, "screenshot.png")
    browse(browser, module_page, "--window-size=1280,1400", "--screenshot=" + screenshot)
    if not os.path.isfile(screenshot) or os.path.getsize(screenshot) < 10000:
        failures.append("no screenshot written")
    if failures:
        raise SystemExit("docsite: " + "; ".join(failures))
    print("docsite: %d modules in the index, %s page with its options table, %d guides; screenshot %s"
          % (len(modules), MODULE, len(guides), os.path.relpath(screenshot, ROOT)))


def main():
    started = time.time()
    html = build()
    check(html)
    print("docsite: passed in %.0f s" % (time.time() - started))


if __name__ == "__main__":
    main()
