"""Outbound identity federation: an account lets its IAM principals get JSON Web Tokens from
STS (GetWebIdentityToken) to present to services outside AWS, which verify them with the
account's issuer's OIDC discovery document and keys.

Table `iam_outbound_federation`, key `<account>`: {"Enabled": bool, "IssuerId" (a UUID),
"Keys": {"RS256": PEM, "ES384": PEM}} made on the first EnableOutboundWebIdentityFederation
and kept when it is disabled (tokens issued before stay verifiable; enabling again keeps the
issuer). The issuer URL is `<gureum's public URL>/_gureum/iam/issuers/<IssuerId>`; gureum
serves `.well-known/openid-configuration` and `.well-known/jwks.json` under it (issuer_http.py).

Tokens (`mint`): header {alg, kid, typ JWT}; claims iss, sub (the caller's ARN; for a role
session the session ARN), aud (one string, or the list), iat, nbf, exp, jti, scope when
asked, and under "https://sts.amazonaws.com/": principal_id (a role session's role ARN, else
the caller's), aws_account, request_tags (the Tags given).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from gureum.aws.errors import AwsError
from gureum.store.base import Txn

TABLE = "iam_outbound_federation"
PATH = "/_gureum/iam/issuers/"
NAMESPACE = "https://sts.amazonaws.com/"


def _kid(pem: str) -> str:
    return hashlib.sha256(pem.encode()).hexdigest()[:32]


def issuer(base_url: str, issuer_id: str) -> str:
    return f"{base_url.rstrip('/')}{PATH}{issuer_id}"


def enable(txn: Txn, account: str) -> dict[str, Any]:
    doc = txn.get(TABLE, account)
    if doc is not None and doc["Enabled"]:
        raise AwsError.modeled("iam", "FeatureEnabled", "Outbound identity federation is already enabled for this account.")
    if doc is None:
        doc = {"IssuerId": str(uuid.uuid4()),
               "Keys": {"RS256": RSAKey.generate_key(2048).as_pem(private=True).decode(),
                        "ES384": ECKey.generate_key("P-384").as_pem(private=True).decode()}}
    doc = {**doc, "Enabled": True}
    txn.put(TABLE, account, doc)
    return doc


def disable(txn: Txn, account: str) -> None:
    doc = txn.get(TABLE, account)
    if doc is None or not doc["Enabled"]:
        raise AwsError.modeled("iam", "FeatureDisabled", "Outbound identity federation is not enabled for this account.")
    txn.put(TABLE, account, {**doc, "Enabled": False})


def info(txn: Txn, account: str) -> dict[str, Any]:
    doc = txn.get(TABLE, account)
    if doc is None:
        raise AwsError.modeled("iam", "FeatureDisabled", "Outbound identity federation is not enabled for this account.")
    return dict(doc)


def by_issuer_id(txn: Txn, issuer_id: str) -> dict[str, Any] | None:
    for _account, doc in txn.scan(TABLE, ""):
        if doc.get("IssuerId") == issuer_id:
            return dict(doc)
    return None


def jwks(doc: dict[str, Any]) -> dict[str, Any]:
    keys = []
    for alg, pem in sorted(doc["Keys"].items()):
        key = RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)
        keys.append({**key.as_dict(private=False), "kid": _kid(pem), "alg": alg, "use": "sig"})
    return {"keys": keys}


def discovery(iss: str) -> dict[str, Any]:
    return {"issuer": iss, "jwks_uri": f"{iss}/.well-known/jwks.json", "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256", "ES384"]}


def mint(doc: dict[str, Any], iss: str, *, subject: str, principal_id: str, account: str, audience: list[str],
         duration: int, algorithm: str, scope: str | None, tags: dict[str, str], now: float | None = None) -> tuple[str, int]:
    """A signed token and its expiry (Unix seconds)."""
    now = int(time.time() if now is None else now)
    pem = doc["Keys"][algorithm]
    key = RSAKey.import_key(pem) if algorithm == "RS256" else ECKey.import_key(pem)
    claims: dict[str, Any] = {"iss": iss, "sub": subject, "aud": audience[0] if len(audience) == 1 else audience,
                              "iat": now, "nbf": now, "exp": now + duration, "jti": str(uuid.uuid4()),
                              NAMESPACE: {"principal_id": principal_id, "aws_account": account,
                                          **({"request_tags": tags} if tags else {})}}
    if scope:
        claims["scope"] = scope
    token = jwt.encode({"alg": algorithm, "kid": _kid(pem), "typ": "JWT"}, claims, key, algorithms=[algorithm])
    return token, now + duration
