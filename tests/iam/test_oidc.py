"""Unit tests of OIDC providers and the web identity checks (in-memory store)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from gureum.services.iam.errors import (
    EntityAlreadyExists,
    IamValidationError,
    LimitExceeded,
    NoSuchEntity,
)
from gureum.services.iam.model import Iam
from gureum.services.iam.oidc import (
    ExpiredToken,
    InvalidIdentityToken,
    OidcProviders,
    check_web_identity,
)
from gureum.store.memory import MemoryStore

ACCT = "123456789012"


def jwt(claims: dict) -> str:
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"e30.{body}.c2ln"


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.run_sync(lambda t: OidcProviders(Iam(t, ACCT)).create("https://issuer.example/id/1", ["aud1"], [], []))
    return s


def run(store, fn):
    return store.run_sync(lambda t: fn(Iam(t, ACCT)))


def test_provider_urls_are_unique_and_https(store):
    with pytest.raises(EntityAlreadyExists):
        run(store, lambda m: OidcProviders(m).create("https://issuer.example/id/1/", [], [], []))
    with pytest.raises(IamValidationError):
        run(store, lambda m: OidcProviders(m).create("http://plain.example", [], [], []))
    with pytest.raises(LimitExceeded):
        run(store, lambda m: OidcProviders(m).create("https://x.example", [], ["a" * 40] * 6, []))
    with pytest.raises(NoSuchEntity):
        run(store, lambda m: OidcProviders(m).get(f"arn:aws:iam::{ACCT}:oidc-provider/nope.example"))


def test_web_identity_needs_a_registered_issuer_and_audience(store):
    ok = {"iss": "https://issuer.example/id/1", "sub": "s", "aud": ["other", "aud1"]}
    claims = run(store, lambda m: check_web_identity(m, jwt(ok)))
    assert claims["aud"] == "aud1"
    assert claims["provider"] == f"arn:aws:iam::{ACCT}:oidc-provider/issuer.example/id/1"
    for bad in ({**ok, "aud": "other"}, {**ok, "iss": "https://unknown.example"}):
        with pytest.raises(InvalidIdentityToken):
            run(store, lambda m, bad=bad: check_web_identity(m, jwt(bad)))
    with pytest.raises(InvalidIdentityToken):
        run(store, lambda m: check_web_identity(m, "not-a-jwt"))
    with pytest.raises(ExpiredToken):
        run(store, lambda m: check_web_identity(m, jwt({**ok, "exp": int(time.time()) - 10})))
    google = run(store, lambda m: check_web_identity(m, jwt({"iss": "accounts.google.com", "sub": "g", "aud": "x"})))
    assert google["provider"] == "accounts.google.com"
