"""mkdocs hook: the repository's own Markdown files outside docs/ become site pages.

The README is the site's home page, CHANGELOG.md, CONTRIBUTING.md and the generated config
reference (config/README.md) are pages too, each read from its one file (no copies to keep in
step). Relative links are written for the repository (they work on any git host and in a
checkout); this rewrites each to the page it becomes on the site, so `mkdocs build --strict`
checks every one of them.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
#: Repository file -> its page on the site (a docs/ page keeps its path under docs/).
PAGES = {
    "README.md": "index.md",
    "CHANGELOG.md": "changelog.md",
    "CONTRIBUTING.md": "contributing.md",
    "config/README.md": "config.md",
}
SOURCES = {page: repo for repo, page in PAGES.items()}
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")


def site_link(target: str, repo_file: str, page: str) -> str:
    """A link written in ``repo_file`` (a path in the repository) to ``target``, as the site
    page ``page`` needs it; unchanged where the target is neither a docs/ file nor in :data:`PAGES`."""
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(repo_file), path))
    if resolved in PAGES:
        site = PAGES[resolved]
    elif resolved.startswith("docs/"):
        site = resolved.removeprefix("docs/") + ("/index.md" if path.endswith("/") else "")
    else:
        return target
    link = posixpath.relpath(site, posixpath.dirname(page) or ".")
    return link + (f"#{anchor}" if anchor else "")


def on_files(files: Files, config) -> Files:
    for repo, page in PAGES.items():
        files.append(File.generated(config, page, content=(ROOT / repo).read_text(encoding="utf-8")))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    uri = page.file.src_uri
    repo_file = SOURCES.get(uri, f"docs/{uri}")
    return LINK.sub(lambda m: f"]({site_link(m.group(1), repo_file, uri)})", markdown)
