"""The rule of issue 14: ARNs are built and parsed only in gureum/aws/arn.py.

Walks every module under gureum/ with `ast` and fails, naming file and line, when a string
literal or an f-string outside gureum/aws/arn.py starts with "arn:" — also as a regex does
("^arn:", "(?:arn:"). Docstrings are prose and stay allowed; comments never reach the AST."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "gureum"
HOME = ROOT / "aws" / "arn.py"


def _starts_with_arn(text: str) -> bool:
    return text.lstrip("^(?:").startswith("arn:")


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def offenders(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every literal in `source` that starts an ARN."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)  # judged as a whole, by its first part
            first = node.values[0] if node.values else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and _starts_with_arn(first.value):
                yield node.lineno, first.value
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
              and _starts_with_arn(node.value)):
            yield node.lineno, node.value


def test_no_arn_literal_outside_arn_module() -> None:
    found = [
        f"{path.relative_to(ROOT.parent)}:{line}: {text!r}"
        for path in sorted(ROOT.rglob("*.py"))
        if path != HOME
        for line, text in offenders(path.read_text())
    ]
    assert found == [], "ARN literals outside gureum/aws/arn.py:\n" + "\n".join(found)


def test_rule_sees_literals_fstrings_and_regexes() -> None:
    src = 'A = "arn:aws:sqs:r:1:q"\nB = f"arn:aws:iam::{x}:root"\nC = r"^arn:aws[a-z-]*:s3"\nD = "x arn:"\n'
    assert [line for line, _ in offenders(src)] == [1, 2, 3]


def test_rule_spares_docstrings() -> None:
    src = '"""arn:aws:sqs:... in a module docstring."""\ndef f() -> None:\n    """arn: in prose."""\n'
    assert list(offenders(src)) == []
