"""Where the verification keys (JWKS) of web identity token issuers come from. A token is
only as good as the keys it is checked with, so keys come from three places gureum can vouch
for, and from nowhere else:

1. gureum's own issuers (Cognito user pools, EKS clusters' service-account issuers) register
   their key sets in the store: table `iam_jwks`, key = the issuer URL (no trailing slash),
   value = {"keys": [JWK, ...]} — `register(txn, issuer, jwks)` / `unregister(txn, issuer)`;
   global (an issuer URL is global), so every node sees them.
2. the setting `iam.oidc_jwks = <issuer>=<source>,<issuer>=<source>,...` where a source is a
   JWKS file or an http(s) URL on loopback (127.0.0.0/8, ::1, localhost);
3. an issuer that is itself on loopback: `<issuer>/.well-known/openid-configuration` gives
   `jwks_uri`, which must be on loopback too.

Anything else (accounts.google.com and every other issuer on the internet) has no keys here:
`KeysUnavailable`, which STS turns into AWS's InvalidIdentityToken "Couldn't retrieve
verification key...". Fetched sets are cached per app for CACHE_SECONDS and fetched again
when a token names a key id the cached set lacks. Fetches never follow redirects.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gureum.slots import Slot
from gureum.store.base import Doc, Txn

if TYPE_CHECKING:
    from gureum.app import App

JWKS = "iam_jwks"  # {issuer} -> {"keys": [...]}
SETTING = "iam.oidc_jwks"
CACHE_SECONDS = 300.0
FETCH_TIMEOUT = 5.0
MAX_BYTES = 1 << 20


class KeysUnavailable(Exception):
    """No key set can be had for this issuer here."""


def issuer_key(issuer: str) -> str:
    return issuer.rstrip("/")


def register(txn: Txn, issuer: str, jwks: Doc) -> None:
    """A gureum-run issuer publishes its key set (replacing any earlier one)."""
    if not isinstance(jwks.get("keys"), list):
        raise ValueError("a JWKS needs a list of keys")
    txn.put(JWKS, issuer_key(issuer), {"keys": list(jwks["keys"])})


def unregister(txn: Txn, issuer: str) -> None:
    txn.delete(JWKS, issuer_key(issuer))


def configured(value: str | None) -> dict[str, str]:
    """The iam.oidc_jwks setting as {issuer: source}."""
    out: dict[str, str] = {}
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        # the issuer is a URL (https://host/path) and holds no '=': split at the first one
        issuer, sep, source = item.partition("=")
        if sep and issuer and source:
            out[issuer_key(issuer.strip())] = source.strip()
    return out


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _fetch_json(url: str) -> Doc:
    if not is_loopback_url(url):
        raise KeysUnavailable(f"{url} is not on loopback")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT) as resp:
            body = resp.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise KeysUnavailable(f"{url}: {e}") from None
    if len(body) > MAX_BYTES:
        raise KeysUnavailable(f"{url}: too large")
    return _json(body, url)


def _json(body: bytes, where: str) -> Doc:
    try:
        doc = json.loads(body)
    except ValueError:
        raise KeysUnavailable(f"{where}: not JSON") from None
    if not isinstance(doc, dict):
        raise KeysUnavailable(f"{where}: not a JSON object")
    return doc


def _read_source(source: str) -> Doc:
    if source.startswith(("http://", "https://")):
        return _fetch_json(source)
    path = Path(source.removeprefix("file://"))
    try:
        return _json(path.read_bytes()[: MAX_BYTES + 1], source)
    except OSError as e:
        raise KeysUnavailable(f"{source}: {e}") from None


def _discover(issuer: str) -> Doc:
    config = _fetch_json(issuer_key(issuer) + "/.well-known/openid-configuration")
    uri = config.get("jwks_uri")
    if not isinstance(uri, str):
        raise KeysUnavailable(f"{issuer}: no jwks_uri")
    return _fetch_json(uri)


def _checked(doc: Doc, where: str) -> Doc:
    keys = doc.get("keys")
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise KeysUnavailable(f"{where}: no key list")
    return {"keys": keys}


class _Cache:
    def __init__(self) -> None:
        self.sets: dict[str, tuple[Doc, float]] = {}


CACHE: Slot[_Cache] = Slot("iam.jwks")  # issuers' key sets fetched by this node


def _cache(app: App) -> _Cache:
    return app.parts.lazy(CACHE, _Cache)


async def key_set(app: App, issuer: str, *, refresh: bool = False) -> Doc:
    """The issuer's JWKS ({"keys": [...]}); raises KeysUnavailable."""
    key = issuer_key(issuer)
    stored = await app.store.read(lambda t: t.get(JWKS, key))
    if stored is not None:
        return _checked(stored, key)
    cache = _cache(app)
    hit = cache.sets.get(key)
    now = time.monotonic()
    if hit is not None and not refresh and now - hit[1] < CACHE_SECONDS:
        return hit[0]
    from gureum.services.iam.settings import IamSettings

    source = configured(app.settings(IamSettings).oidc_jwks).get(key)
    if source is not None:
        doc = await asyncio.to_thread(_read_source, source)
    elif is_loopback_url(key):
        doc = await asyncio.to_thread(_discover, key)
    else:
        raise KeysUnavailable(f"no keys for {issuer}")
    doc = _checked(doc, key)
    if len(cache.sets) > 1000:
        cache.sets.clear()
    cache.sets[key] = (doc, now)
    return doc
