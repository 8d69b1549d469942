"""Unit tests of OIDC providers and the web identity checks (in-memory store)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from joserfc.jwk import RSAKey
from oidc_issuer import Issuer, b64

from gureum.aws.errors import AwsError
from gureum.config import Config
from gureum.services.iam import jwks
from gureum.services.iam.model import Iam
from gureum.services.iam.oidc import (
    OidcProviders,
    check_web_identity,
    trust_context,
    verify_token,
)
from gureum.settings import SettingsCache
from gureum.slots import Parts
from gureum.store.memory import MemoryStore


@contextmanager
def raises(code: str, match: str | None = None) -> Iterator[pytest.ExceptionInfo[AwsError]]:
    """pytest.raises for the modeled AWS error `code`."""
    with pytest.raises(AwsError, match=match) as e:
        yield e
    assert e.value.code == code


ACCT = "123456789012"


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.run_sync(lambda t: OidcProviders(Iam(t, ACCT)).create("https://issuer.example/id/1", ["aud1"], [], []))
    return s


def run(store, fn):
    return store.run_sync(lambda t: fn(Iam(t, ACCT)))


def test_provider_urls_are_unique_and_https(store):
    with raises("EntityAlreadyExists"):
        run(store, lambda m: OidcProviders(m).create("https://issuer.example/id/1/", [], [], []))
    with raises("ValidationError"):
        run(store, lambda m: OidcProviders(m).create("http://plain.example", [], [], []))
    with raises("LimitExceeded"):
        run(store, lambda m: OidcProviders(m).create("https://x.example", [], ["a" * 40] * 6, []))
    with raises("NoSuchEntity"):
        run(store, lambda m: OidcProviders(m).get(f"arn:aws:iam::{ACCT}:oidc-provider/nope.example"))


def test_web_identity_needs_a_registered_issuer_and_audience(store):
    ok = {"iss": "https://issuer.example/id/1", "sub": "s", "aud": ["other", "aud1"]}
    claims = run(store, lambda m: check_web_identity(m, ok))
    assert claims["aud"] == "aud1"
    assert claims["provider"] == f"arn:aws:iam::{ACCT}:oidc-provider/issuer.example/id/1"
    assert trust_context(claims)["issuer.example/id/1:sub"] == "s"
    for bad in ({**ok, "aud": "other"}, {**ok, "iss": "https://unknown.example"}):
        with raises("InvalidIdentityToken"):
            run(store, lambda m, bad=bad: check_web_identity(m, bad))
    google = run(store, lambda m: check_web_identity(m, {"iss": "https://accounts.google.com", "sub": "g", "aud": "x", "azp": "web"}))
    assert google["provider"] == "accounts.google.com"
    assert trust_context(google)["accounts.google.com:aud"] == "web"  # azp, as AWS documents
    assert trust_context(google)["accounts.google.com:oaud"] == "x"


# --- token verification (keys from the store, a configured file or URL, loopback discovery)

ISSUER = "https://issuer.example/id/1"


class App:
    """What verify_token uses of the app: a real store and real settings."""

    def __init__(self, **settings: str) -> None:
        self.store = MemoryStore()
        self.config = Config(settings=settings)
        self.settings = SettingsCache(self.config.setting)
        self.parts = Parts()


def verify(app, token):
    return asyncio.run(verify_token(app, token))


@pytest.fixture(scope="module")
def idp():
    return Issuer(ISSUER)


def test_tokens_verify_against_keys_gureums_own_issuers_register(idp):
    app = App()
    with raises("InvalidIdentityToken", match="Couldn't retrieve verification key"):
        verify(app, idp.token())
    app.store.run_sync(lambda t: jwks.register(t, ISSUER + "/", idp.jwks()))
    assert verify(app, idp.token())["sub"] == "system:serviceaccount:default:app"
    assert verify(app, idp.token(alg="ES256"))["iss"] == ISSUER
    app.store.run_sync(lambda t: jwks.unregister(t, ISSUER))
    with raises("InvalidIdentityToken", match="Couldn't retrieve verification key"):
        verify(app, idp.token())


def test_forged_tokens_are_refused(idp, tmp_path):
    app = App(**{"iam.oidc_jwks": f"{ISSUER}={idp.write(tmp_path / 'jwks.json')}"})
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    now = int(time.time())
    cases = {
        "unsigned": idp.unsigned(),
        "wrong key, same kid": idp.token(key=attacker),
        "unknown kid": idp.token(key=attacker, kid="other"),
        "tampered claims": _tamper(idp.token(), sub="system:serviceaccount:kube-system:admin"),
        "not yet valid": idp.token(nbf=now + 3600),
        "issued in the future": idp.token(iat=now + 3600),
        "no expiry": idp.token(exp=None),
        "HS256 with the public key as secret": _hs256(idp),
        "unknown issuer": idp.token(iss="https://elsewhere.example"),
        "google, not verifiable here": idp.token(iss="https://accounts.google.com"),
        "not a JWT": "abc",
    }
    for name, token in cases.items():
        with raises("InvalidIdentityToken"):
            verify(app, token)
            pytest.fail(f"{name}: accepted")
    with raises("ExpiredTokenException"):
        verify(app, idp.token(exp=now - 10))
    assert verify(app, idp.token())["aud"] == "sts.amazonaws.com"


def _tamper(token: str, **claims) -> str:
    head, body, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(claims)
    return f"{head}.{b64(payload)}.{sig}"


def _hs256(idp: Issuer) -> str:
    import hashlib
    import hmac

    secret = json.dumps(idp.jwks()["keys"][0]).encode()
    signing = f"{b64({'alg': 'HS256', 'kid': 'rsa-1'})}.{b64(idp.claims())}"
    sig = base64.urlsafe_b64encode(hmac.new(secret, signing.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    return f"{signing}.{sig}"


def test_keys_come_from_a_loopback_url_and_follow_rotation(idp):
    rotated = Issuer(ISSUER)
    with rotated.serve() as url:
        app = App(**{"iam.oidc_jwks": f"{ISSUER}={url}/jwks"})
        assert verify(app, rotated.token())["iss"] == ISSUER
        new = RSAKey.generate_key(2048, parameters={"kid": "rsa-2"})
        rotated.published = [new]  # the issuer rotates: the cached set lacks the new kid
        assert verify(app, rotated.token(key=new))["iss"] == ISSUER
        with raises("InvalidIdentityToken"):
            verify(app, rotated.token())  # the retired key no longer verifies


def test_loopback_issuers_are_discovered_and_nothing_else_is_fetched():
    local = Issuer("")
    with local.serve() as url:
        local.issuer = url
        assert verify(App(), local.token())["iss"] == url
    assert not jwks.is_loopback_url("https://accounts.google.com")
    assert not jwks.is_loopback_url("http://10.0.0.1/jwks")
    assert not jwks.is_loopback_url("file:///etc/passwd")
    assert jwks.is_loopback_url("http://127.0.0.2:8080/jwks") and jwks.is_loopback_url("http://[::1]/k")
    with pytest.raises(jwks.KeysUnavailable):
        jwks._read_source("http://192.0.2.1/jwks")  # configured, but not on loopback: not fetched
    assert jwks.configured(f"{ISSUER}=/a/b.json, https://x.example=http://127.0.0.1:1/jwks") == {
        ISSUER: "/a/b.json", "https://x.example": "http://127.0.0.1:1/jwks"}
