"""The documentation: the configuration reference is generated from the schema, and every relative link resolves."""

import dataclasses
import re
from pathlib import Path

import pytest
from scripts_module import load_script

from ecmjax.config import SECTIONS

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "scripts" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def generator():
    """``scripts/make_configuration_doc.py`` as a module."""
    return load_script("make_configuration_doc")


def test_configuration_reference_is_what_the_schema_generates(generator):
    committed = (ROOT / "docs" / "configuration.md").read_text()
    stale = "docs/configuration.md is stale: run python scripts/make_configuration_doc.py"
    assert committed == generator.render(), stale


def test_every_key_has_a_docstring(generator):
    # The reference's "meaning" column is the field's docstring: a new key must say what it is.
    missing = [
        f"{section}.{field.name}"
        for section, cls in SECTIONS.items()
        for field in dataclasses.fields(cls)
        if not generator.field_docstrings(cls).get(field.name)
    ]
    assert not missing


def prose(page: Path) -> str:
    """The page's text without its code blocks (links and headings, not code)."""
    return re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)


def anchors(page: Path) -> set[str]:
    """The anchors of the page's headings, as GitHub makes them."""
    headings = re.findall(r"^#+ (.*)$", prose(page), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_at_files_and_headings_in_the_repository(page):
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
        assert path.exists(), f"{page.name} links to a missing file: {target}"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.name} links to a missing heading: {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_name_no_file_outside_the_repository(page):
    assert not re.search(r"MODEL\.md|BENCHMARKS\.md|\.\./shared", page.read_text())
