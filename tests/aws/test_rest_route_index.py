"""REST routing's index (specs.UriIndex) picks what a scan of every route picks: for every
operation of every REST model botocore ships (served by gureum or not), a request built from
the operation's requestUri (labels filled, query literals and required header/query members
present) routes to the same operation through `routing._match_rest` as through a plain scan
of `uri_routes`, and to the operation itself unless the model gives another operation the
same method, URI and required members; and every route matching such a request's path is
among the index's candidates for it."""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlencode

import pytest

from gureum.aws import routing, specs
from gureum.http.server import Headers, Request

_LABEL = re.compile(r"\{([^}]+)\}")


def _rest_models() -> list[str]:
    names = []
    for name in sorted(os.listdir(specs.data_dir())):
        if not os.path.isdir(os.path.join(specs.data_dir(), name)):
            continue
        try:
            spec = specs.load(name)
        except (FileNotFoundError, KeyError, ValueError):
            continue
        if spec.protocol in ("rest-json", "rest-xml"):
            names.append(name)
    return names


REST_MODELS = _rest_models()


def _request(route: specs.UriRoute) -> Request:
    path, _, _ = route.operation.request_uri.partition("?")
    path = _LABEL.sub(lambda m: "lab/el" if m.group(1).endswith("+") else "label", path)
    query: dict[str, str] = {k: ("" if v is None else v) for k, v in route.query_literals.items()}
    headers = [("host", "example.com")]
    for loc, name in route.required_located:
        if loc == "querystring":
            query.setdefault(name, "v")
        else:
            headers.append((name.lower(), "v"))
    return Request(method=route.method, raw_path=path, query_string=urlencode(query), headers=Headers(headers),
                   client=("127.0.0.1", 1), server=("127.0.0.1", 2), _body=None)  # type: ignore[arg-type]


def _scan(spec: specs.ServiceSpec, request: Request, qkeys: dict[str, str]) -> str | None:
    """The choice routing made before the index: every route, most specific first."""
    best: tuple[tuple[Any, ...], specs.UriRoute] | None = None
    path = routing.rest_path(spec.name, request)
    for r in spec.uri_routes:
        if best is not None and r.specificity < best[1].specificity:
            break
        if r.match(request.method, path, qkeys) is None:
            continue
        present = all((n in qkeys) if loc == "querystring" else (request.headers.get(n) is not None) for loc, n in r.required_located)
        score = (present, len(r.required_located) if present else 0, not r.deprecated)
        if best is None or score > best[0]:
            best = (score, r)
    return None if best is None else best[1].operation.name


def _same_route(a: specs.UriRoute, b: specs.UriRoute) -> bool:
    return (a.method, a.pattern.pattern, a.query_literals, sorted(a.required_located)) == (
        b.method, b.pattern.pattern, b.query_literals, sorted(b.required_located))


def test_there_are_rest_models() -> None:
    assert len(REST_MODELS) > 100
    assert {"lambda", "s3", "route53", "apigateway"} <= set(REST_MODELS)


@pytest.mark.parametrize("service", REST_MODELS)
def test_every_operation_routes_as_a_scan_does(service: str) -> None:
    spec = specs.load(service)
    by_name = {r.operation.name: r for r in spec.uri_routes}
    for r in spec.uri_routes:
        request = _request(r)
        qkeys = request.query_dict()
        found = routing._match_rest(spec, request, qkeys)
        assert found is not None, (service, r.operation.name)
        assert found.operation == _scan(spec, request, qkeys), (service, r.operation.name)
        assert found.operation == r.operation.name or _same_route(by_name[found.operation], r), (
            service, r.operation.name, found.operation)


@pytest.mark.parametrize("service", REST_MODELS)
def test_every_matching_route_is_a_candidate(service: str) -> None:
    """For the sample path of every operation, each route whose pattern matches it is among
    the path's candidates (paths of literal URIs exercise the deeper nodes of the index)."""
    spec = specs.load(service)
    samples = {(r.method, _request(r).raw_path) for r in spec.uri_routes}
    for method, path in samples:
        candidates = {id(r) for r in spec.routes_for(method, path)}
        for r in spec.uri_routes:
            if r.method == method and r.pattern.match(path) is not None:
                assert id(r) in candidates, (service, method, path, r.operation.name)


def test_candidates_are_an_ordered_sublist() -> None:
    spec = specs.load("lambda")
    invoke = spec.routes_for("POST", "/2015-03-31/functions/f/invocations")
    assert "Invoke" in [r.operation.name for r in invoke]
    order = {id(r): i for i, r in enumerate(spec.uri_routes)}
    assert [order[id(r)] for r in invoke] == sorted(order[id(r)] for r in invoke)
    assert len(invoke) < len([r for r in spec.uri_routes if r.method == "POST"])
    assert spec.routes_for("BREW", "/") == ()
