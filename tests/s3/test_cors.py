"""S3 CORS evaluated end to end: a browser's preflight (OPTIONS, plain HTTP) answered from the
bucket's CORS rules, path-style and virtual-hosted, and the Access-Control-* headers on actual
requests that carry an Origin."""

from __future__ import annotations

import http.client
import uuid
from typing import Any

import pytest


def _request(gureum: Any, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port, timeout=30)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture
def cors_bucket(gureum: Any) -> str:
    s3 = gureum.client("s3")
    name = f"cors-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": ["https://*.example.com"], "AllowedMethods": ["GET", "PUT"],
         "AllowedHeaders": ["content-type", "x-amz-*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600},
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]})
    s3.put_object(Bucket=name, Key="a.txt", Body=b"hi")
    return name


def test_preflight_is_answered_from_the_rules(gureum: Any, cors_bucket: str) -> None:
    status, headers, _ = _request(gureum, "OPTIONS", f"/{cors_bucket}/a.txt", {
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-allow-methods"] == "GET, PUT"
    assert headers["access-control-allow-headers"] == "content-type, x-amz-date"
    assert headers["access-control-max-age"] == "600"
    assert headers["access-control-expose-headers"] == "ETag"
    assert headers["access-control-allow-credentials"] == "true"
    # the second rule: any origin, GET only
    status, headers, _ = _request(gureum, "OPTIONS", "/a.txt", {
        "Host": f"{cors_bucket}.s3.localhost", "Origin": "http://other.test", "Access-Control-Request-Method": "GET"})
    assert (status, headers["access-control-allow-origin"]) == (200, "*")
    assert "access-control-allow-credentials" not in headers


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({"Origin": "http://other.test", "Access-Control-Request-Method": "PUT"}, 403, b"AccessForbidden"),
    ({"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT",
      "Access-Control-Request-Headers": "x-custom"}, 403, b"AccessForbidden"),
    ({"Access-Control-Request-Method": "GET"}, 400, b"BadRequest"),
])
def test_preflight_refuses_what_no_rule_allows(gureum: Any, cors_bucket: str, headers: dict[str, str], status: int,
                                               code: bytes) -> None:
    got, answer_headers, body = _request(gureum, "OPTIONS", f"/{cors_bucket}/a.txt", headers)
    assert got == status and b"<Code>" + code + b"</Code>" in body
    assert "access-control-allow-origin" not in answer_headers


def test_preflight_on_a_bucket_without_cors(gureum: Any) -> None:
    name = f"cors-{uuid.uuid4().hex[:12]}"
    gureum.client("s3").create_bucket(Bucket=name)
    status, _, body = _request(gureum, "OPTIONS", f"/{name}/x", {
        "Origin": "http://a.test", "Access-Control-Request-Method": "GET"})
    assert status == 403 and b"CORS is not enabled for this bucket" in body


def test_actual_requests_get_the_matching_rules_headers(gureum: Any, cors_bucket: str) -> None:
    s3 = gureum.client("s3")
    seen: list[dict[str, str]] = []

    def add_origin(request: Any, **_: Any) -> None:
        request.headers["Origin"] = "https://app.example.com"

    s3.meta.events.register("before-sign.s3.GetObject", add_origin)
    s3.meta.events.register("after-call.s3.GetObject",
                            lambda http_response, **_: seen.append(dict(http_response.headers)))
    assert s3.get_object(Bucket=cors_bucket, Key="a.txt")["Body"].read() == b"hi"
    headers = {k.lower(): v for k, v in seen[-1].items()}
    assert headers["access-control-allow-origin"] == "https://app.example.com"
    assert headers["access-control-expose-headers"] == "ETag"
    plain = gureum.client("s3")
    plain.meta.events.register("after-call.s3.GetObject",
                               lambda http_response, **_: seen.append(dict(http_response.headers)))
    plain.get_object(Bucket=cors_bucket, Key="a.txt")["Body"].read()
    assert not any(k.lower().startswith("access-control-") for k in seen[-1])
