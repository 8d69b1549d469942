"""The generic wire layer (gureum/aws) names no service: every per-service rule comes from the
packages' manifests (routing facts, validation codes) and hooks (S3's departures).

One module of gureum/aws is not wire layer and is left out: the ARN kit (`arn.py`), whose
job is to be the catalogue of AWS's ARN formats, one builder/parser per service namespace
("arn:aws:sqs:...", "arn:aws:lambda:..."). It names service namespaces as data about AWS's
naming, not as a rule of how a request is read, routed, authenticated or answered."""

from __future__ import annotations

import ast
from pathlib import Path

import gureum.aws
from gureum.aws import specs
from gureum.services import registry

AWS_DIR = Path(gureum.aws.__file__).parent
# Modules of gureum/aws that are kits, not wire layer (see the module docstring).
NOT_WIRE = {AWS_DIR / "arn.py"}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant in `path` except docstrings (prose may give examples)."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_string_literal_in_the_wire_layer_names_a_service() -> None:
    names = set(registry.SERVED) | set(registry.PLANNED) | {"lambda", "s3", "route53", "sqs", "apigateway"}
    found = [
        f"{path.relative_to(AWS_DIR.parent.parent)}:{line}: {value!r}"
        for path in sorted(AWS_DIR.rglob("*.py"))
        if path not in NOT_WIRE
        for line, value in _string_literals(path)
        if value in names or value.lower() in names
    ]
    assert found == []


def test_manifest_routing_facts_agree_with_the_models() -> None:
    for service, facts in registry.ROUTING.items():
        meta = specs.load(service).metadata
        assert facts.target_prefix == meta.get("targetPrefix"), service
        if facts.query_version is not None:
            assert facts.query_version == meta["apiVersion"], service
            assert meta["protocol"] == "query" or "awsQueryCompatible" in meta, service
        signing = meta.get("signingName") or meta.get("endpointPrefix") or service
        assert (facts.signing_name or service) == signing, service
        assert facts.rest == meta["protocol"].startswith("rest"), service


def test_rest_services_match_paths_in_order_with_rest_last_ones_at_the_end() -> None:
    order = registry.REST_SERVICES
    last = [s for s in order if registry.ROUTING[s].rest_last]
    assert last and order[-len(last):] == tuple(last)
    assert "s3" in last  # its /{Bucket}/{Key+} matches almost any path


def test_signing_names_narrow_to_the_services_that_sign_with_them() -> None:
    assert registry.signing_candidates("dynamodb") == ("dynamodb", "dynamodbstreams")
    assert registry.signing_candidates("elasticloadbalancing") == ("elbv2",)
    # REST APIs (apigateway) and HTTP/WebSocket APIs (apigatewayv2) both sign as apigateway
    assert set(registry.signing_candidates("apigateway")) == {"apigateway", "apigatewayv2"}
    assert registry.signing_candidates("no-such-service") == ()
