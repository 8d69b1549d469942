"""JWT authorizers of HTTP APIs: verifying a token as AWS does, sans-IO but for the key fetch.

`verify(token, jwks, issuer, audiences, now)` -> the claims, or raises Invalid with AWS's
`error_description`: the token is three base64url parts; the header's `alg` is RS256, RS384
or RS512 and its `kid` names a key of the issuer's JWKS; the signature verifies
(cryptography); `iss` equals the authorizer's issuer; `aud` (or, without one, `client_id`)
is one of the configured audiences; `exp` is in the future and `nbf`/`iat` not. Scopes
(`scope` space-separated, or `scp`) are checked against the route's by the caller.

`Keys` fetches `<issuer>/.well-known/openid-configuration`, then its `jwks_uri`, and caches
the JWKS per issuer (refetched after KEYS_TTL, or at once when a token names an unknown kid,
at most once per MIN_REFETCH).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from gureum.services.apigatewayv2 import proxy

_HASHES: dict[str, hashes.HashAlgorithm] = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(), "RS512": hashes.SHA512()}
KEYS_TTL = 3600.0
MIN_REFETCH = 10.0
_FETCH_TIMEOUT = 5.0


class Invalid(Exception):
    """The token is refused; str(self) is AWS's error_description."""


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int(b64: str) -> int:
    return int.from_bytes(_b64(b64), "big")


def split(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature); Invalid when malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        raise Invalid("the token is malformed")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
        signature = _b64(parts[2])
    except (ValueError, TypeError):
        raise Invalid("the token is malformed") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Invalid("the token is malformed")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def verify(token: str, jwks: dict[str, Any], issuer: str, audiences: list[str], now: float) -> dict[str, Any]:
    header, claims, signed, signature = split(token)
    alg = header.get("alg")
    if alg not in _HASHES:
        raise Invalid(f"the token's signing algorithm {alg} is not supported")
    key = next((k for k in jwks.get("keys") or [] if isinstance(k, dict) and k.get("kid") == header.get("kid")), None)
    if key is None or key.get("kty") != "RSA":
        raise Invalid("unable to find a key to verify the token's signature")
    try:
        public = rsa.RSAPublicNumbers(_int(key["e"]), _int(key["n"])).public_key()
        public.verify(signature, signed, padding.PKCS1v15(), _HASHES[alg])
    except (InvalidSignature, KeyError, ValueError, TypeError):
        raise Invalid("signature is invalid") from None
    if claims.get("iss") != issuer:
        raise Invalid("the token's issuer does not match the authorizer's issuer")
    aud = claims.get("aud", claims.get("client_id"))
    auds = aud if isinstance(aud, list) else [aud]
    if audiences and not any(a in audiences for a in auds):
        raise Invalid("the token's audience does not match the authorizer's audience")
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        raise Invalid("the token has expired")
    nbf = claims.get("nbf")
    if isinstance(nbf, (int, float)) and nbf > now:
        raise Invalid("the token is not valid yet")
    iat = claims.get("iat")
    if isinstance(iat, (int, float)) and iat > now + 300:
        raise Invalid("the token was issued in the future")
    return claims


def scopes(claims: dict[str, Any]) -> list[str]:
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return [s for s in raw.split(" ") if s]
    if isinstance(raw, list):
        return [str(s) for s in raw]
    return []


def claim_strings(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as AWS hands them to integrations: strings; lists as "[a b]"."""
    out: dict[str, str] = {}
    for k, v in claims.items():
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, list):
            out[k] = "[" + " ".join(str(x) for x in v) + "]"
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = json.dumps(v) if isinstance(v, dict) else str(v)
    return out


class Keys:
    """The JWKS of each issuer, fetched and cached (one per node)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    async def _get_json(self, url: str) -> dict[str, Any]:
        status, _, body = await proxy.request("GET", url, [("accept", "application/json")], b"", _FETCH_TIMEOUT)
        if status != 200:
            raise Invalid(f"unable to fetch {url}: {status}")
        try:
            doc = json.loads(body)
        except ValueError:
            raise Invalid(f"unable to read {url}") from None
        if not isinstance(doc, dict):
            raise Invalid(f"unable to read {url}")
        return doc

    async def jwks(self, issuer: str, kid: str | None) -> dict[str, Any]:
        now = time.monotonic()
        hit = self._cache.get(issuer)
        if hit is not None:
            fetched, doc = hit
            known = any(isinstance(k, dict) and k.get("kid") == kid for k in doc.get("keys") or [])
            if now - fetched < KEYS_TTL and (known or now - fetched < MIN_REFETCH):
                return doc
        try:
            config = await self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
            uri = config.get("jwks_uri")
            if not isinstance(uri, str):
                raise Invalid("the issuer's OpenID configuration has no jwks_uri")
            doc = await self._get_json(uri)
        except (proxy.BackendError, TimeoutError) as e:
            raise Invalid(f"unable to fetch the issuer's keys: {e}") from None
        self._cache[issuer] = (now, doc)
        return doc
