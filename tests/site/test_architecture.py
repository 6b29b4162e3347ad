"""The map of the house holds: no import cycle inside an app, no oversized module, one way to fail.

These read the source, not the running program, so they also see imports hidden inside functions.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "marketplace", "credit_rules", "workflows", "cms", "opendata")
MAX_LINES = 450


def _modules(app: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every module of the project this module imports, at module level or inside a function."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _type_checking_only(child):
                continue
            if isinstance(child, ast.Import):
                targets.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                for alias in child.names:
                    candidate = f"{module}.{alias.name}"
                    targets.add(candidate if candidate in known else module)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {t for t in targets if t in known and t != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_between_modules_of_one_app(app):
    modules = _modules(app)
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_sees_a_cycle_hidden_in_a_function(tmp_path):
    # given two modules that import each other, one of them only inside a function
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import b\n")
    b.write_text("def f():\n    import a\n")
    known = {"a", "b"}
    graph = {"a": _imports("a", a, known), "b": _imports("b", b, known)}
    assert _cycles(graph) == [["a", "b"]]


def test_cms_models_import_no_view():
    imports = _imports("cms.models", ROOT / "cms" / "models.py", set(_modules("cms")))
    assert "cms.views" not in imports


@pytest.mark.parametrize("app", ("workflows", "credit_rules", "opendata"))
def test_no_module_is_over_the_size_limit(app):
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in _modules(app).values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_views_meet_no_permission_error_or_integrity_error():
    # Services raise marketplace.errors.ApplicationError; races at unique constraints are theirs to catch.
    pattern = re.compile(r"PermissionError|except IntegrityError")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "workflows" / "views").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


# Imports flow one way: workflows → credit_rules → marketplace, and workflows → cms; cms and
# credit_rules know nothing of each other, and no app imports the project's config.
MAY_IMPORT = {
    "marketplace": set(),
    "credit_rules": {"marketplace"},
    "cms": {"marketplace"},
    "workflows": {"marketplace", "credit_rules", "cms"},
    "opendata": {"marketplace", "credit_rules", "workflows", "cms"},
}


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_imports_flow_one_way_between_apps(app):
    everything = {name for other in APPS for name in _modules(other)}
    crossings = {
        f"{name} → {target}"
        for name, path in _modules(app).items()
        for target in _imports(name, path, everything)
        if target.split(".")[0] != app and target.split(".")[0] not in MAY_IMPORT[app]
    }
    assert crossings == set()


def test_one_decorator_per_role_and_one_file_helper():
    # The role decorators and the private-file helper are defined once, in workflows/views/common.py.
    pattern = re.compile(r"^def (\w+_required|_?file_response)\(", re.M)
    definitions = sorted(
        f"{path.relative_to(ROOT)}:{name}"
        for app in APPS
        for path in _modules(app).values()
        for name in pattern.findall(path.read_text(encoding="utf-8"))
    )
    assert definitions == ["workflows/views/common.py:file_response", "workflows/views/common.py:role_required"]


def test_rule_codes_appear_only_in_the_registry():
    # A rule exists once, in credit_rules/rules/, with its code; everything else names it by its function.
    pattern = re.compile(r"CR-[A-Z]+-\d{3}")
    sources = [p for app in APPS for p in _modules(app).values()] + sorted((ROOT / "templates").rglob("*.html"))
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources
        if "rules" not in path.relative_to(ROOT).parts[:2] or path.relative_to(ROOT).parts[0] != "credit_rules"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
