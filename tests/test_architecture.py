"""The shape a newcomer relies on: services grouped by domain that never commit nor import the jobs,
no import cycle, one commit helper, id parsing in one place, small modules, role fixtures once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trainadmin"
MAX_LINES = 400
DOMAINS = ("sessions", "planning", "participants", "money", "notifications", "imports")


def python_files(folder: Path = PACKAGE) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(path: Path, modules: set[str]) -> set[str]:
    """Modules of the project this file imports when it runs (function-level imports included,
    `if TYPE_CHECKING:` blocks left out); `from package import module` names the module."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
    return {name for name in found if name.startswith("trainadmin")}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in python_files()}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for target in runtime_imports(path, set(modules)):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                targets.add(target)
        edges[name] = targets
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycle(graph):
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_services_never_import_the_jobs(graph):
    offenders = {
        name: sorted(t for t in targets if t.startswith("trainadmin.jobs"))
        for name, targets in graph.items()
        if name.startswith("trainadmin.services")
    }
    assert {name: jobs for name, jobs in offenders.items() if jobs} == {}


def test_services_are_grouped_by_domain_with_their_public_functions_in_their_package():
    services = PACKAGE / "services"
    for domain in DOMAINS:
        init = services / domain / "__init__.py"
        assert init.is_file(), domain
        tree = ast.parse(init.read_text())
        assert ast.get_docstring(tree), f"services/{domain} says what it holds"
        exported = next(
            (
                node.value
                for node in tree.body
                if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"
            ),
            None,
        )
        assert exported is not None and len(exported.elts) > 0, f"services/{domain} has a public API"
    assert not (services / "demo").exists() and (PACKAGE / "demo" / "__init__.py").is_file()


COMMIT = re.compile(r"\.commit\(\)|\bkick\(")


def test_services_flush_and_never_commit():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files(PACKAGE / "services")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if COMMIT.search(line) and "savepoint.commit()" not in line
    ]
    assert offenders == []


def test_views_never_commit_by_hand():
    """The commit of a request is `transaction.commits` / `unit_of_work`, nowhere else."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("admin_views", "api")
        for path in python_files(PACKAGE / folder)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if COMMIT.search(line)
    ]
    assert offenders == []


def test_no_module_is_over_400_lines():
    long = {
        str(path.relative_to(ROOT)): count
        for path in python_files()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_ids_are_parsed_in_one_place():
    definitions = [
        str(path.relative_to(ROOT))
        for path in python_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in {"parse_id", "is_id", "_int", "_id"}
    ]
    assert sorted(definitions) == ["trainadmin/ids.py", "trainadmin/ids.py"]
    digit_checks = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files()
        if path.name != "ids.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ".isdigit()" in line
    ]
    assert digit_checks == []


ROLE_FIXTURES = {"admin", "ops_manager", "manager", "viewer", "manager_en", "login_as", "login"}


def test_role_fixtures_are_defined_once_in_conftest():
    defined = {}
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.FunctionDef)
                and node.name in ROLE_FIXTURES
                and any("fixture" in ast.unparse(d) for d in node.decorator_list)
            ):
                defined.setdefault(node.name, []).append(path.name)
    assert defined == {name: ["conftest.py"] for name in defined}
    assert set(defined) >= {"admin", "ops_manager", "manager", "viewer", "login_as"}
