"""The shape a newcomer relies on: services grouped by domain that never commit nor import the jobs,
no import cycle, one commit helper, id parsing in one place, small modules, role fixtures once."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "trainadmin"
MAX_LINES = 400
DOMAINS = ("sessions", "planning", "participants", "money", "notifications", "imports")


def python_files(folder: Path = PACKAGE) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def _code_shape():
    """bench/code_shape.py: the import graph and its cycles, as the benchmarks report them."""
    spec = importlib.util.spec_from_file_location("code_shape", ROOT / "bench" / "code_shape.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


code_shape = _code_shape()
cycles = code_shape.cycles


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = code_shape.modules_of(ROOT)
    return {name: code_shape.imports_of(name, path, set(modules)) for name, path in modules.items()}


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
