"""Benchmark code lives under bench/ (and config/settings/bench.py): production modules hold none of it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, resolve, reverse

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ("config", "marketplace", "credit_rules", "workflows", "cms")
BENCH_SETTINGS = Path("config/settings/bench.py")
# "bench" as a word of its own inside a string is a module path, URL, URL name or setting name
# ("bench.urls", "bench/bare/", "bench-bare", "ZJCS_BENCH_VIEWS"); "benchmarks" in a help text is prose.
BENCH_WORD = re.compile(r"(?<![a-z])bench(?![a-z])", re.IGNORECASE)


def production_files() -> list[Path]:
    """Every Python file of the production packages, relative to the project, migrations and bench settings aside."""
    files = []
    for top in PRODUCTION:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts and relative != BENCH_SETTINGS:
                files.append(relative)
    return files


def docstring_nodes(tree: ast.Module) -> set[int]:
    """The ids of the docstring constants of a module and of its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        documented = isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        if documented and ast.get_docstring(node, clean=False) is not None:
            found.add(id(node.body[0].value))
    return found


def bench_code(relative: Path, source: str) -> list[str]:
    """What in one module names benchmark code: its own name, imports, identifiers and strings (not docstrings)."""
    problems = [f"{relative}: module name"] if "bench" in relative.stem.lower() else []
    tree = ast.parse(source, str(relative))
    docstrings = docstring_nodes(tree)
    for node in ast.walk(tree):
        identifiers: list[str | None] = []
        if isinstance(node, ast.Import):
            identifiers = [name for alias in node.names for name in (alias.name, alias.asname)]
        elif isinstance(node, ast.ImportFrom):
            identifiers = [node.module, *(name for alias in node.names for name in (alias.name, alias.asname))]
        elif isinstance(node, ast.Name):
            identifiers = [node.id]
        elif isinstance(node, ast.Attribute):
            identifiers = [node.attr]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            identifiers = [node.name]
        elif isinstance(node, ast.arg | ast.keyword):
            identifiers = [node.arg]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            problems += [f"{relative}:{node.lineno}: string {node.value!r}"] if BENCH_WORD.search(node.value) else []
        problems += [
            f"{relative}:{node.lineno}: name {name!r}" for name in identifiers if name and "bench" in name.lower()
        ]
    return problems


def test_no_production_module_holds_bench_code():
    """No production module imports bench code, names it, or routes its URLs."""
    problems = [problem for path in production_files() for problem in bench_code(path, (ROOT / path).read_text())]
    assert problems == []


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        # what used to live in production modules, each put back on its own
        ("cms/settings_bench.py", '"""Settings."""\nDEBUG = False\n'),
        ("config/settings/production.py", "ZJCS_BENCH_VIEWS = True\n"),
        (
            "cms/urls.py",
            'if getattr(settings, "ZJCS_BENCH_VIEWS", False):\n'
            '    urlpatterns.append(path("bench/bare/", views.bare, name="bench-bare"))\n',
        ),
        ("cms/views.py", 'def bench_bare(request):\n    return HttpResponse(b"ok")\n'),
        ("cms/urls.py", "from bench.urls import bare\n"),
        ("config/settings/base.py", "from .bench import *\n"),
    ],
)
def test_the_check_finds_bench_code_put_back(relative, source):
    """Each piece of bench code moved out of production would fail the check if it came back."""
    assert bench_code(Path(relative), source)


def test_the_check_leaves_prose_about_benchmarks_alone():
    """Docstrings and prose may cite a benchmark's measurement: that is not bench code."""
    source = '"""Measured by bench/bench_notices.py."""\n\nHELP = "--scale N multiplies the agencies for benchmarks."\n'
    assert bench_code(Path("workflows/services/demo.py"), source) == []


def test_bench_urls_are_routed_only_under_the_bench_urlconf():
    """The bare baseline view is reachable under ``bench.urls`` only, never under the site's URLs."""
    # given the test settings, which route the site like production
    assert settings.ROOT_URLCONF == "config.urls"
    # then the bare baseline view has no URL (the path falls through to Wagtail's catch-all)
    with pytest.raises(NoReverseMatch):
        reverse("bench-bare")
    assert resolve("/bench/bare/").url_name != "bench-bare"
    # and under the benchmarks' URL map it does, next to every URL of the site
    assert reverse("bench-bare", urlconf="bench.urls") == "/bench/bare/"
    assert resolve("/bench/bare/", urlconf="bench.urls").func.__module__ == "bench.urls"
    assert reverse("notice-list", urlconf="bench.urls") == reverse("notice-list")


def test_every_production_module_imports_under_the_active_settings():
    """Every production module imports under the test settings (the settings of other environments aside)."""
    # A settings module of another environment may refuse to load here (production wants its
    # secrets), so only the active one is imported; nothing else may need more than it.
    failures = []
    for top in PRODUCTION:
        package = importlib.import_module(top)
        for module in pkgutil.walk_packages(package.__path__, f"{top}."):
            name = module.name
            if ".migrations" in name or (name.startswith("config.settings.") and name != settings.SETTINGS_MODULE):
                continue
            try:
                importlib.import_module(name)
            except Exception as exc:  # every failing module is reported, not only the first
                failures.append(f"{name}: {exc!r}")
    assert failures == []
