"""The shape of the ECS package, read from its source: no import cycles between its modules,
no imports inside functions to dodge one, no `except ImportError` around in-tree modules, and
a task run that knows its host only through the TaskHost protocol (not the agent)."""

from __future__ import annotations

import ast
from pathlib import Path

import gureum.services.ecs

PACKAGE = "gureum.services.ecs"
ROOT = Path(gureum.services.ecs.__file__).parent


def _trees() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(ROOT.glob("*.py")) if p.stem != "__init__"}


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    return [base] + [f"{base}.{a.name}" for a in node.names]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.Module) -> tuple[set[str], list[str]]:
    """(ECS modules imported at run time at module level, gureum imports made inside functions)."""
    top: set[str] = set()
    inner: list[str] = []

    def walk(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                walk(child, True)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                names = [n for n in _imported(child) if n.startswith("gureum")]
                if in_function:
                    inner.extend(names)
                else:
                    top.update(n[len(PACKAGE) + 1 :].split(".")[0] for n in names if n.startswith(PACKAGE + "."))
            walk(child, in_function)

    walk(tree, False)
    return top, inner


def test_ecs_modules_import_each_other_without_cycles() -> None:
    trees = _trees()
    graph = {name: {m for m in _imports(tree)[0] if m in trees and m != name} for name, tree in trees.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(name) :] + [name]))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, path + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_no_ecs_module_imports_gureum_modules_inside_functions() -> None:
    inner = {name: _imports(tree)[1] for name, tree in _trees().items()}
    assert {name: found for name, found in inner.items() if found} == {}


def test_no_ecs_module_guards_an_import_with_except_importerror() -> None:
    guarded = [
        name
        for name, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and node.type is not None and "ImportError" in ast.unparse(node.type)
    ]
    assert guarded == []


def test_a_task_run_depends_on_its_host_protocol_not_on_the_agent() -> None:
    tree = _trees()["taskrun"]
    names = {n for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for n in _imported(node)}
    assert not any(n.startswith(f"{PACKAGE}.agent") or n == f"{PACKAGE}.agent" for n in names), names
    assert f"{PACKAGE}.task_host.TaskHost" in names
