"""The report's link to the explorer survives moving report.html: the introduction
(``src/authxai/report/workflow.rst``, a Jinja2 template Snakemake renders when it builds the
report) links the explorer by its absolute file:// URI, resolved at report time, and keeps the
relative link for a copy of the whole results folder; without an explorer it says how to build one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest
from docutils.core import publish_parts

from authxai.plan import paths
from authxai.workflow import REPORT_DIR
from conftest import make_workdir, run_snakemake, write_table_dataset

INTRO = REPORT_DIR / "workflow.rst"


def render_intro(files: list) -> str:
    """The introduction as Snakemake 9 renders it (snakemake.report.auto_report: a Jinja2
    environment with trim_blocks and lstrip_blocks, the config as ``snakemake.config``, the
    report items as ``files``; then docutils to HTML)."""
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    snakemake = SimpleNamespace(config={"dataset": {"kind": "table"}})
    text = env.from_string(INTRO.read_text()).render(snakemake=snakemake, categories={}, files=files)
    return publish_parts(text, writer="html")["html_body"]


def _item(path: str) -> SimpleNamespace:
    """A report item as the template sees it: its path relative to the working directory."""
    return SimpleNamespace(path=Path(path))


def test_the_template_names_the_explorers_path():
    assert '"results", "explorer", "index.html"' in INTRO.read_text()
    assert Path("results", "explorer", "index.html") == Path(paths.EXPLORER["index"])


def test_the_explorer_is_linked_by_its_absolute_uri_and_relatively(tmp_path, monkeypatch):
    work = tmp_path / "my work"  # a space: the URI is quoted
    index = work / paths.EXPLORER["index"]
    index.parent.mkdir(parents=True)
    index.write_text("<html></html>")
    monkeypatch.chdir(work)
    html = render_intro([_item("results/tables/psychometrics.csv")])
    assert f'href="{index.as_uri()}"' in html and "my%20work" in index.as_uri()
    assert 'href="explorer/index.html"' in html  # next to results/report.html


def test_without_an_explorer_the_report_says_how_to_build_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for files in ([_item("results/tables/psychometrics.csv")], []):
        html = render_intro(files)
        assert "href=" not in html and "snakemake results/explorer/index.html" in html


@pytest.mark.workflow
def test_the_explorer_link_of_a_moved_report_opens_in_a_browser(tmp_path):
    """A real report (of the psychometrics table: seconds) with an explorer page at its place,
    moved out of the working directory: headless Chromium follows its explorer link."""
    from playwright.sync_api import sync_playwright
    from test_explorer import CHROMIUM_ARGS, _chromium

    work = tmp_path / "work"
    work.mkdir()
    make_workdir(work, {"dataset": write_table_dataset(work / "lab", n_images=30)})
    target = "results/tables/psychometrics.csv"
    run_snakemake(work, target)
    index = work / paths.EXPLORER["index"]
    index.parent.mkdir(parents=True)
    index.write_text('<html><body><h1 id="stand-in">explorer</h1></body></html>')
    run_snakemake(work, "--report", "results/report.html", target)
    moved = tmp_path / "elsewhere" / "report.html"
    moved.parent.mkdir()
    shutil.move(work / "results" / "report.html", moved)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(moved.as_uri())
        link = page.locator(f'a[href="{index.as_uri()}"]')
        link.wait_for(timeout=30_000)
        link.click()
        page.wait_for_selector("#stand-in", timeout=30_000)
        assert page.url == index.as_uri()
        browser.close()
