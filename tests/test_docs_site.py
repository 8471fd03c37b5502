"""The docs site's hook rewrites repository links to the pages they become (docs/hooks.py)."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", REPO / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_repository_links_become_site_links():
    link = _hooks().site_link
    # the README is the home page: its docs/ links lose the prefix
    assert link("docs/usage.md#installing", "README.md", "index.md") == "usage.md#installing"
    assert link("docs/results/", "README.md", "index.md") == "results/index.md"
    assert link("CONTRIBUTING.md", "README.md", "index.md") == "contributing.md"
    assert link("config/README.md", "README.md", "index.md") == "config.md"
    # docs pages reach the root files through ..
    assert link("../CHANGELOG.md", "docs/explorer.md", "explorer.md") == "changelog.md"
    assert link("../README.md#what-make-run-finds", "docs/results.md", "results.md") == "index.md#what-make-run-finds"
    assert link("../performance.md", "docs/results/index.md", "results/index.md") == "../performance.md"
    # a root file linking into docs/
    assert link("docs/performance.md", "CHANGELOG.md", "changelog.md") == "performance.md"
    # anything else is left for mkdocs --strict to report
    assert link("src/authxai/config.py", "README.md", "index.md") == "src/authxai/config.py"


def test_every_page_of_the_site_exists():
    hooks = _hooks()
    assert all((REPO / source).is_file() for source in hooks.PAGES)
