"""The import graph of gureum/: no cycles, and no service reaching into another's internals.

Every `import`/`from ... import` in every module counts, at module level and inside
functions alike (a function-level import dodges a cycle at run time but is still an edge),
except those under `if TYPE_CHECKING:`, which never run. Between two service packages
(gureum/services/<a>/ -> gureum.services.<b>.<x>, b != a) only `port`, `manifest` and
`slots` may be imported: a service calls another through its port (gureum/ports.py).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gureum"
SERVICES = PACKAGE / "services"
ALLOWED_ACROSS = {"port", "manifest", "slots"}

# Cycles known and being fixed by another engineer (issue 14): the integrator empties this.
KNOWN_CYCLES: set[frozenset[str]] = set()

# Reach-ins not removed yet, (importing module, imported module) -> why.
KNOWN_REACH_INS: dict[tuple[str, str], str] = {
    # STS is IAM's token service: both botocore services run on one identity store (roles,
    # trust policies, sessions); a port would re-export most of iam.sessions/trust/oidc.
    ("gureum.services.sts.api", "gureum.services.iam.documents"): "STS is IAM's token front-end",
    ("gureum.services.sts.api", "gureum.services.iam.lookup"): "STS is IAM's token front-end",
    ("gureum.services.sts.api", "gureum.services.iam.oidc"): "STS is IAM's token front-end",
    ("gureum.services.sts.api", "gureum.services.iam.sessions"): "STS is IAM's token front-end",
    ("gureum.services.sts.api", "gureum.services.iam.trust"): "STS is IAM's token front-end",
    ("gureum.services.sts.reset", "gureum.services.iam.reset"): "STS's sessions live in IAM's tables (iam/sessions.py)",
    ("gureum.services.sts.api", "gureum.services.iam.model"): "STS is IAM's token front-end",
    ("gureum.services.sts.api", "gureum.services.iam.saml"): "STS is IAM's token front-end",
    ("gureum.services.sts.api_more", "gureum.services.iam.ids"): "STS is IAM's token front-end",
    ("gureum.services.sts.api_more", "gureum.services.iam.lookup"): "STS is IAM's token front-end",
    ("gureum.services.sts.api_more", "gureum.services.iam.sessions"): "STS is IAM's token front-end",
    ("gureum.services.sts.api_more", "gureum.services.iam.outbound_federation"): "STS is IAM's token front-end",
}


def module_names() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name `module` imports (with `from a import b`: both a and a.b), at any
    depth, outside `if TYPE_CHECKING:` blocks; relative imports resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def walk(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                yield from (n for stmt in child.orelse for n in walk_one(stmt))
                continue
            yield from walk_one(child)

    def walk_one(child: ast.AST) -> Iterator[str]:
        if isinstance(child, ast.Import):
            yield from (a.name for a in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                base = ".".join(anchor + ([child.module] if child.module else []))
            yield base
            yield from (f"{base}.{a.name}" for a in child.names)
        else:
            yield from walk(child)

    yield from walk(ast.parse(path.read_text(), str(path)))


@functools.cache
def import_graph() -> dict[str, set[str]]:
    """module -> the gureum modules it imports (names resolved to the longest module); read
    once per test run (callers do not change it)."""
    mods = module_names()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        for name in imported_names(m, path):
            if name == "gureum" or name.startswith("gureum."):
                target = resolve(name)
                if target is not None and target != m and target != "gureum":
                    graph[m].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            advanced = False
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.add(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(frozenset(component))
    return found


def reach_ins(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """(importer, imported) pairs where a service module imports another service's module
    other than its port, manifest or slots."""
    packages = {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()}
    out = set()
    for m, targets in graph.items():
        parts = m.split(".")
        if len(parts) < 3 or parts[:2] != ["gureum", "services"] or parts[2] not in packages:
            continue
        for t in targets:
            tp = t.split(".")
            if len(tp) < 3 or tp[:2] != ["gureum", "services"] or tp[2] not in packages or tp[2] == parts[2]:
                continue
            if len(tp) > 3 and tp[3] not in ALLOWED_ACROSS:  # the package itself is a docstring
                out.add((m, t))
    return out


# -- the checker on small made-up graphs --------------------------------------------------

def test_cycles_finds_a_two_module_and_a_three_module_cycle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}, "g": set()}
    assert sorted(map(sorted, cycles(graph))) == [["a", "b"], ["c", "d", "e"]]


def test_function_level_imports_count_and_type_checking_imports_do_not(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from gureum.x import hidden\n"
        "def f():\n    from gureum.y import inner\n"
        "from . import sibling\n")
    names = set(imported_names("gureum.pkg.mod", path))
    assert {"gureum.y", "gureum.y.inner", "gureum.pkg.sibling"} <= names
    assert not any(n.startswith("gureum.x") for n in names)


def test_reach_ins_allow_only_ports_manifests_and_slots() -> None:
    graph = {
        "gureum.services.s3.notify": {"gureum.services.sqs.engine", "gureum.services.sqs.port",
                                      "gureum.services.sns.manifest", "gureum.services.s3.model"},
    }
    assert reach_ins(graph) == {("gureum.services.s3.notify", "gureum.services.sqs.engine")}


# -- the tree ---------------------------------------------------------------------------------

def test_the_import_graph_of_gureum_has_no_cycles() -> None:
    found = set(cycles(import_graph()))
    assert found - KNOWN_CYCLES == set(), "import cycles: " + "; ".join(
        " <-> ".join(sorted(c)) for c in found - KNOWN_CYCLES)


def test_known_cycles_still_exist_so_the_list_shrinks_as_they_are_fixed() -> None:
    assert KNOWN_CYCLES - set(cycles(import_graph())) == set()


def test_no_service_imports_another_services_internals() -> None:
    found = reach_ins(import_graph())
    unexpected = sorted(found - KNOWN_REACH_INS.keys())
    assert unexpected == [], "use the other service's port (gureum/ports.py): " + ", ".join(
        f"{a} -> {b}" for a, b in unexpected)


def test_every_known_reach_in_is_still_there() -> None:
    assert sorted(KNOWN_REACH_INS.keys() - reach_ins(import_graph())) == []


def test_gureum_ports_and_delivery_import_no_service() -> None:
    graph = import_graph()
    for module in ("gureum.ports", "gureum.delivery"):
        services = {t for t in graph[module] if t.startswith("gureum.services.")}
        assert services <= {"gureum.services.registry", "gureum.services.manifest"}, (module, services)
