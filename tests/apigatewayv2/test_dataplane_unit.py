"""The sans-IO parts of the HTTP API data plane on values: route selection (AWS's priority
rules), payload 2.0/1.0 response mapping, WebSocket route selection, JWT verification."""

from __future__ import annotations

import base64
import json
import time

import pytest

from gureum.services.apigatewayv2 import events, jwt, routing
from gureum.services.apigatewayv2.websocket import select_route

KEYS = ["GET /pets", "GET /pets/{id}", "ANY /pets/{id}", "GET /pets/dog/{id}", "ANY /{proxy+}", "POST /a/{x+}",
        "$default"]


@pytest.mark.parametrize("method,path,key,params", [
    ("GET", "/pets", "GET /pets", {}),
    ("GET", "/pets/7", "GET /pets/{id}", {"id": "7"}),
    ("PUT", "/pets/7", "ANY /pets/{id}", {"id": "7"}),
    ("GET", "/pets/dog/1", "GET /pets/dog/{id}", {"id": "1"}),
    ("GET", "/pets/dog", "GET /pets/{id}", {"id": "dog"}),
    ("POST", "/a/b/c", "POST /a/{x+}", {"x": "b/c"}),
    ("GET", "/a/b/c", "ANY /{proxy+}", {"proxy": "a/b/c"}),
    ("GET", "/pets/%E2%9C%93", "GET /pets/{id}", {"id": "\u2713"}),
    ("GET", "/", "$default", {}),
    ("GET", "/pets/", "ANY /{proxy+}", {"proxy": "pets/"}),
])
def test_route_selection_prefers_the_most_specific(method: str, path: str, key: str, params: dict[str, str]) -> None:
    m = routing.select(KEYS, method, path)
    assert m is not None and (m.key, m.path_parameters) == (key, params)


def test_no_route_without_default() -> None:
    assert routing.select(["GET /x"], "GET", "/y") is None
    assert routing.select(["GET /x/{a+}"], "GET", "/x") is None  # a greedy variable needs one segment


def test_payload_2_response_rules() -> None:
    out = events.response(b'{"statusCode": 302, "headers": {"Location": "/x"}, "cookies": ["a=1"]}', None, "2.0")
    assert out.status == 302 and ("location", "/x") in out.headers and ("set-cookie", "a=1") in out.headers
    out = events.response(b'[1, 2]', None, "2.0")
    assert (out.status, out.body) == (200, b"[1, 2]")
    out = events.response(b'{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}', None, "2.0")
    assert out.body == b"hi"
    for bad in (b"not json", b'{"statusCode": 700}', b'{"statusCode": 200, "body": "!!", "isBase64Encoded": true}'):
        assert events.response(bad, None, "2.0") is events.INTERNAL_ERROR
    assert events.response(b'{"statusCode": 200}', "Unhandled", "2.0") is events.INTERNAL_ERROR
    # 1.0 requires a statusCode
    assert events.response(b'{"answer": 1}', None, "1.0") is events.INTERNAL_ERROR
    assert events.response(b'"text"', None, "2.0").body == b'"text"'


def test_websocket_route_selection() -> None:
    routes = {"$connect": {}, "$default": {}, "send": {}, "$disconnect": {}}
    assert select_route("$request.body.action", '{"action": "send"}', routes) == "send"
    assert select_route("$request.body.action", '{"action": "$connect"}', routes) == "$default"
    assert select_route("$request.body.a.b", '{"a": {"b": "send"}}', routes) == "send"
    assert select_route("$request.body.action", "plain", routes) == "$default"
    assert select_route("$request.body.action", '{"action": "x"}', {"send": {}}) is None


def _rsa() -> tuple[object, dict[str, object]]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    nums = key.public_key().public_numbers()

    def b64int(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).decode().rstrip("=")

    return key, {"keys": [{"kty": "RSA", "kid": "k1", "n": b64int(nums.n), "e": b64int(nums.e)}]}


def _token(key: object, claims: dict[str, object], kid: str = "k1") -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    assert isinstance(key, rsa.RSAPrivateKey)

    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    signing = f"{part({'alg': 'RS256', 'kid': kid})}.{part(claims)}"
    sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing + "." + base64.urlsafe_b64encode(sig).decode().rstrip("=")


def test_jwt_verification() -> None:
    key, jwks = _rsa()
    now = time.time()
    good = {"iss": "https://idp", "client_id": "c1", "exp": now + 60, "scope": "a b", "groups": ["x", "y"]}
    claims = jwt.verify(_token(key, good), jwks, "https://idp", ["c1"], now)
    assert jwt.scopes(claims) == ["a", "b"] and jwt.claim_strings(claims)["groups"] == "[x y]"
    for bad, why in ((dict(good, exp=now - 1), "expired"), (dict(good, iss="https://other"), "issuer"),
                     (dict(good, client_id="c2"), "audience"), (dict(good, nbf=now + 600), "not valid yet")):
        with pytest.raises(jwt.Invalid, match=why):
            jwt.verify(_token(key, bad), jwks, "https://idp", ["c1"], now)
    with pytest.raises(jwt.Invalid, match="key"):
        jwt.verify(_token(key, good, kid="k2"), jwks, "https://idp", ["c1"], now)
    other, _ = _rsa()
    with pytest.raises(jwt.Invalid, match="signature"):
        jwt.verify(_token(other, good), jwks, "https://idp", ["c1"], now)
    with pytest.raises(jwt.Invalid, match="malformed"):
        jwt.verify("a.b", jwks, "https://idp", [], now)
