"""The tests' own habits, checked on their source with `ast` (no gureum is started).

(a) No sleep inside a loop as a home-made poll: a `time.sleep` / `asyncio.sleep` call lexically
    inside a `while` or `for` body (without crossing a function boundary) anywhere in tests/ other
    than tests/waiting.py must carry a `# real time: <why>` comment on its line, saying why the
    sleep is part of what is tested (a client's pace, a window in which nothing may happen) rather
    than waiting for something; everything else waits through `waiting.wait_for`.
(b) One wait helper: no function named like `*wait_for*`, `_wait*` or `_poll*` is defined outside
    tests/waiting.py, except those in ALLOWED_HELPERS, each with its reason.

PENDING_ELSEWHERE lists directories another branch is converting; the integrator empties it once
that branch has landed, and from then on the rules hold there too."""

from __future__ import annotations

import ast
import fnmatch
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
EXEMPT_FILES = frozenset({"waiting.py"})  # the one place a polling loop lives
PENDING_ELSEWHERE: frozenset[str] = frozenset()
REAL_TIME = "# real time:"
HELPER_PATTERNS = ("*wait_for*", "_wait*", "_poll*")
ALLOWED_HELPERS: dict[tuple[str, str], str] = {}  # (path under tests/, name) -> why it may exist
SLEEPS = {("time", "sleep"), ("asyncio", "sleep")}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _sleep_names(tree: ast.Module) -> tuple[dict[str, str], dict[str, str]]:
    """Which local names are the time/asyncio modules, and which are their sleep functions."""
    modules: dict[str, str] = {}
    functions: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("time", "asyncio"):
                    modules[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in ("time", "asyncio"):
            for alias in node.names:
                if alias.name == "sleep":
                    functions[alias.asname or alias.name] = f"{node.module}.sleep"
    return modules, functions


def _sleep_call(node: ast.Call, modules: dict[str, str], functions: dict[str, str]) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (modules.get(f.value.id), f.attr) in SLEEPS:
        return f"{modules[f.value.id]}.sleep"
    if isinstance(f, ast.Name) and f.id in functions:
        return functions[f.id]
    return None


def _sleeps_in_loops(tree: ast.Module) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every sleep call inside a loop body, not counting calls in a
    function defined inside the loop (that function's own loops count for it)."""
    modules, functions = _sleep_names(tree)
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, in_loop: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            in_loop = False
        if in_loop and isinstance(node, ast.Call) and (name := _sleep_call(node, modules, functions)) is not None:
            found.append((node.lineno, node.end_lineno or node.lineno, name))
        loop = isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        for field, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    visit(child, in_loop or (loop and field == "body"))

    visit(tree, False)
    return found


def check_source(source: str, path: str) -> list[Finding]:
    """Both rules on one module's source; `path` is relative to tests/."""
    tree = ast.parse(source)
    lines = source.splitlines()
    findings: list[Finding] = []
    if path not in EXEMPT_FILES:
        for first, last, name in _sleeps_in_loops(tree):
            if not any(REAL_TIME in lines[i - 1] for i in range(first, last + 1)):
                findings.append(Finding(path, first, f"{name}() in a loop: poll with waiting.wait_for, or say `{REAL_TIME} <why>`"))
        for node in ast.walk(tree):
            if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (path, node.name) not in ALLOWED_HELPERS
                    and any(fnmatch.fnmatchcase(node.name, p) for p in HELPER_PATTERNS)):
                findings.append(Finding(path, node.lineno, f"{node.name}: a private wait/poll helper; use waiting.wait_for"))
    return sorted(findings, key=lambda f: f.line)


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.relative_to(TESTS).parts[0] not in PENDING_ELSEWHERE)


def test_no_test_module_polls_with_its_own_sleep_loop_or_helper() -> None:
    findings = [f for p in _modules() for f in check_source(p.read_text(), str(p.relative_to(TESTS)))]
    assert not findings, "\n".join(map(str, findings))


def test_the_allow_list_names_helpers_that_exist_and_says_why() -> None:
    for (path, name), why in ALLOWED_HELPERS.items():
        assert why.strip(), f"{path}:{name} is allowed without a reason"
        tree = ast.parse((TESTS / path).read_text())
        assert any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in ast.walk(tree)), f"{path}:{name} no longer exists"


def test_pending_directories_exist() -> None:
    assert all((TESTS / d).is_dir() for d in PENDING_ELSEWHERE)


# --- the checker itself, on plain sources ----------------------------------------------------------

def _lines(source: str, path: str = "x/test_x.py") -> list[int]:
    return [f.line for f in check_source(source, path)]


def test_a_sleep_in_a_while_loop_is_found() -> None:
    src = "import time\ndef test():\n    while not done():\n        time.sleep(0.1)\n"
    assert _lines(src) == [4]


def test_a_sleep_nested_in_an_if_or_try_inside_a_for_loop_is_found() -> None:
    src = "import time\nfor i in range(3):\n    try:\n        if i:\n            time.sleep(1)\n    except OSError:\n        pass\n"
    assert _lines(src) == [5]


def test_aliases_and_from_imports_and_asyncio_are_found() -> None:
    src = (
        "import time as _t\nfrom asyncio import sleep as nap\nimport asyncio\n"
        "async def f():\n    while True:\n        _t.sleep(1)\n        await nap(1)\n        await asyncio.sleep(0)\n"
    )
    assert _lines(src) == [6, 7, 8]


def test_a_real_time_comment_allows_the_sleep() -> None:
    src = "import time\nwhile sending():\n    time.sleep(0.1)  # real time: the client's pace\n"
    assert _lines(src) == []


def test_sleeps_outside_loops_and_in_functions_defined_in_loops_are_not_the_loop_s() -> None:
    src = "import time\ntime.sleep(1)\nfor i in range(2):\n    def later():\n        time.sleep(1)\n    f = lambda: time.sleep(1)\n"
    assert _lines(src) == []


def test_other_modules_sleep_is_not_time_sleep() -> None:
    src = "import mylib\nwhile True:\n    mylib.sleep(1)\n"
    assert _lines(src) == []


def test_private_wait_and_poll_helpers_are_found_but_not_tests_about_waiting() -> None:
    src = (
        "def _wait_ready(): pass\ndef my_wait_for(x): pass\nasync def _poll_queue(): pass\n"
        "def test_next_waits_for_an_invocation(): pass\ndef wait_service(): pass\n"
    )
    assert _lines(src) == [1, 2, 3]


def test_waiting_py_itself_is_exempt_but_a_namesake_elsewhere_is_not() -> None:
    src = "import time\ndef wait_for(c):\n    while not c():\n        time.sleep(0.1)\n"
    assert _lines(src, "waiting.py") == []
    assert _lines(src, "sqs/waiting.py") == [2, 4]
