"""Cognito's port for API Gateway's authorizers (gureum/services/cognito_idp/port.py), on an
in-memory store: a pool's JWKS and issuer, and tokens verified by signature, issuer, expiry
and use; another pool's token, a forged one and an expired one are refused."""

from __future__ import annotations

import types

import pytest

from gureum.services.cognito_idp import pools, port, tokens
from gureum.store.memory import MemoryStore

NOW = 1_800_000_000.0
APP = types.SimpleNamespace(api_address=("127.0.0.1", 4566))  # all public_url reads of a node


def _pool(store: MemoryStore) -> tuple[dict, object]:  # type: ignore[type-arg]
    key, public = tokens.new_key()
    doc = store.run_sync(lambda t: pools.create(t, "000000000000", "us-east-1", {"PoolName": "p"},
                                                lambda tx, arn: tokens.seal_key(tx, key, public, arn), NOW))
    return doc, key


def test_tokens_of_a_pool_verify_through_the_port() -> None:
    store = MemoryStore()
    pool, key = _pool(store)
    other, other_key = _pool(store)
    iss = port.issuer(APP, pool["Id"])  # type: ignore[arg-type]
    assert iss == f"http://localhost:4566/{pool['Id']}"
    assert port.pool_id_of(pool["Arn"]) == pool["Id"] == port.pool_id_of(pool["Id"])
    assert store.read_sync(lambda t: port.jwks(t, pool["Id"]))["keys"][0]["kid"] == pool["key"]["kid"]
    assert store.read_sync(lambda t: port.jwks(t, "us-east-1_nothere00")) is None
    good = tokens.sign(key, pool["key"]["kid"], {"iss": iss, "exp": NOW + 60, "token_use": "id", "sub": "s"})  # type: ignore[arg-type]
    claims = store.read_sync(lambda t: port.verify(t, APP, pool["Id"], good, NOW, token_use="id"))  # type: ignore[arg-type]
    assert claims["sub"] == "s"
    bad = {
        "another pool's key": tokens.sign(other_key, other["key"]["kid"], {"iss": iss, "exp": NOW + 60, "token_use": "id"}),  # type: ignore[arg-type]
        "expired": tokens.sign(key, pool["key"]["kid"], {"iss": iss, "exp": NOW - 1, "token_use": "id"}),  # type: ignore[arg-type]
        "another issuer": tokens.sign(key, pool["key"]["kid"], {"iss": iss + "x", "exp": NOW + 60, "token_use": "id"}),  # type: ignore[arg-type]
        "an access token": tokens.sign(key, pool["key"]["kid"], {"iss": iss, "exp": NOW + 60, "token_use": "access"}),  # type: ignore[arg-type]
        "garbage": "a.b.c",
    }
    for token in bad.values():
        with pytest.raises(port.InvalidToken):
            store.read_sync(lambda t, tok=token: port.verify(t, APP, pool["Id"], tok, NOW, token_use="id"))  # type: ignore[misc, arg-type]
