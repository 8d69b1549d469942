"""Every error code gureum raises is one AWS sends: modeled by the raising service's botocore
model (with its package's patches) or in errors.COMMON, with that status. Raise sites are
found with `ast`: `AwsError.modeled(service, code, ...)`, inline `AwsError(code, message,
status)`, AwsError subclasses' `code`/`status` attributes, and the `aws_code` of errors
raised on both the ECR API and the OCI registry."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import gureum
from gureum.aws.errors import COMMON, AwsError, error_facts
from gureum.services import registry

ROOT = Path(gureum.__file__).parent


def _const(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _raise_sites(folder: Path) -> Iterator[tuple[str, str, str | None, int | None]]:
    """(where, kind, code, status) for every raise site with a literal code."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name = _name(node.func)
                kw = {k.arg: k.value for k in node.keywords}
                if name == "modeled" and len(node.args) >= 2:
                    svc, code = _const(node.args[0]), _const(node.args[1])
                    if isinstance(svc, str) and isinstance(code, str):
                        yield where, "modeled:" + svc, code, None
                elif name == "AwsError" and node.args and isinstance(_const(node.args[0]), str):
                    status = _const(node.args[2]) if len(node.args) > 2 else _const(kw.get("status"))
                    yield where, "inline", str(_const(node.args[0])), status if isinstance(status, int) else None
            elif isinstance(node, ast.ClassDef):
                attrs: dict[str, object] = {}
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                        target = stmt.targets[0]
                        if isinstance(target, ast.Name):
                            attrs[target.id] = _const(stmt.value)
                        elif isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                            for t, v in zip(target.elts, stmt.value.elts, strict=False):
                                if isinstance(t, ast.Name):
                                    attrs[t.id] = _const(v)
                if isinstance(attrs.get("code"), str):
                    status = attrs.get("status")
                    yield where, "class", str(attrs["code"]), status if isinstance(status, int) else None
                if isinstance(attrs.get("aws_code"), str):  # ECR's errors, raised on both its APIs
                    yield where, "class", str(attrs["aws_code"]), None


def _facts(services: tuple[str, ...], code: str) -> tuple[str, int] | None:
    for svc in services:
        try:
            f = error_facts(svc, code)
        except LookupError:
            continue
        return svc, f.status
    return None


# A package that implements another served service's operations raises that service's errors:
# iam serves STS's AssumeRole* (gureum/services/iam/sessions.py, oidc.py); ECS reads
# environment files from S3 in-process and reports S3's NoSuchKey (ecs/envfiles.py).
RAISES_FOR: dict[str, tuple[str, ...]] = {"iam": ("sts",), "ecs": ("s3",)}
PACKAGES = [(m.package, m.services + RAISES_FOR.get(m.package, ())) for m in registry.MANIFESTS]


@pytest.mark.parametrize("package,services", PACKAGES, ids=[p for p, _ in PACKAGES])
def test_every_error_a_service_raises_is_modeled_or_common_with_its_status(package: str, services: tuple[str, ...]) -> None:
    wrong: list[str] = []
    for where, kind, code, status in _raise_sites(ROOT / "services" / package):
        assert code is not None
        if kind.startswith("modeled:"):
            svc = kind.split(":", 1)[1]
            if svc not in services:
                wrong.append(f"{where}: {package} raises {svc}'s error {code}")
            elif _facts((svc,), code) is None:
                wrong.append(f"{where}: {svc} models no {code} and it is not common")
            continue
        found = _facts(services, code)
        if found is None:
            wrong.append(f"{where}: {code} ({kind}) is modeled by none of {services} and not common")
        elif status is not None and status != found[1]:
            wrong.append(f"{where}: {code} ({kind}) raised with {status}, the model says {found[1]}")
    assert wrong == []


def test_the_wire_layer_raises_only_common_errors_with_their_status() -> None:
    wrong = [
        f"{where}: {code} {status}"
        for where, kind, code, status in _raise_sites(ROOT / "aws")
        if code is not None and (code not in COMMON or (status is not None and status != COMMON[code][0]))
    ]
    assert wrong == []


def test_modeled_takes_status_fault_and_query_code_from_the_model() -> None:
    err = AwsError.modeled("lambda", "ResourceNotFoundException", "Function not found: x")
    assert (err.code, err.status, err.sender_fault, err.message) == ("ResourceNotFoundException", 404, True, "Function not found: x")
    iam = AwsError.modeled("iam", "NoSuchEntity", "gone")
    assert (iam.code, iam.status) == ("NoSuchEntity", 404)
    assert AwsError.modeled("iam", "NoSuchEntityException", "gone").code == "NoSuchEntity"  # the wire code
    sqs = AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
    assert (sqs.code, sqs.status, sqs.fields["QueryCode"]) == ("QueueDoesNotExist", 400, "AWS.SimpleQueueService.NonExistentQueue")
    common = AwsError.modeled("lambda", "ThrottlingException", "slow down")
    assert (common.code, common.status) == ("ThrottlingException", 400)
    assert AwsError.modeled("ecr", "ServerException", "x").status == 500  # a fault shape
    with pytest.raises(LookupError):
        AwsError.modeled("lambda", "NoSuchThingAnywhere", "x")
