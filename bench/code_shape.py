"""The shape of the code of a checkout: lines per package, modules over 400 lines, import cycles.

    python bench/code_shape.py [CHECKOUT]      (default: this checkout)

An import is an edge whether it is written at the top of a module or inside a function; imports under
`if TYPE_CHECKING:` are left out (they never run). `from package import module` is an edge to the
module. A cycle is a group of modules that import each other, directly or not (strongly connected).
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

MAX_LINES = 400


def modules_of(root: Path) -> dict[str, Path]:
    found = {}
    for path in sorted((root / "trainadmin").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for child in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    edges = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            edges.add(target)
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    sys.setrecursionlimit(10_000)

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


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
    modules = modules_of(root)
    lines, files = Counter(), Counter()
    long = []
    for name, path in modules.items():
        count = len(path.read_text().splitlines())
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        lines[package] += count
        files[package] += 1
        if count > MAX_LINES:
            long.append((count, str(path.relative_to(root))))
    print("| package | modules | lines |")
    print("|---|---:|---:|")
    for package in sorted(lines):
        print(f"| `{package}` | {files[package]} | {lines[package]:,} |")
    print(f"| total | {sum(files.values())} | {sum(lines.values()):,} |")
    print(f"\nmodules over {MAX_LINES} lines: {len(long)}")
    for count, path in sorted(long, reverse=True):
        print(f"  {count} {path}")
    graph = {name: imports_of(name, path, set(modules)) for name, path in modules.items()}
    found = cycles(graph)
    mutual = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, ())})
    print(f"\nimport cycles: {len(found)} (modules in them: {sum(len(group) for group in found)})")
    for group in found:
        print("  " + ", ".join(group))
    print(f"modules importing each other: {len(mutual)}")
    for first, second in mutual:
        print(f"  {first} <-> {second}")


if __name__ == "__main__":
    main()
