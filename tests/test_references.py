"""Comments and documents cite only what the repository holds: no design document kept elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".html", ".md", ".js", ".txt"}
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "staticfiles",
    "media",
    ".test-media",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
}
# Spelled in pieces so that this file does not match itself.
OUTSIDE_CITATIONS = ("DESIGN" + " §", ".." + "/shared")


def repository_texts():
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            path = Path(folder, name)
            if path.suffix in SUFFIXES:
                yield path, path.read_text(encoding="utf-8", errors="replace")


def test_no_file_cites_a_document_outside_the_repository():
    # given every source, template, test, bench and document file of the repository
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path, text in repository_texts()
        for number, line in enumerate(text.splitlines(), start=1)
        if any(citation in line for citation in OUTSIDE_CITATIONS)
    ]
    # then none points at a design document or a shared folder that lives outside it
    assert found == [], "cite the in-repository document instead (e.g. docs/draw.md):\n" + "\n".join(found)


def test_the_scan_sees_the_repository():
    scanned = {path.relative_to(ROOT).as_posix() for path, _text in repository_texts()}
    assert {"workflows/draw.py", "docs/draw.md", "templates/workflows/public_draw_verify.html"} <= scanned
