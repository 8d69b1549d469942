"""Each load balancer's keys for its authenticate actions, and their public half served.

Tables:
- elbv2_auth_keys: "{account}/{region}/{lb id}" -> {"kid", "sealed"}: gureum/sealing.py's seal
  (context "elbv2-auth/{lb key}") of JSON {"session": a 32-byte AES-256-GCM key, base64 (the
  session cookie and the state parameter), "signing": an EC P-256 private key, PEM (the
  x-amzn-oidc-data token, ES256)}.
- elbv2_auth_public: "{kid}" -> {"pem": the signing key's public half, PEM, "region"}.
Made the first time a load balancer needs them (`get_or_create`, one transaction: every node
gets the same ones), never changed; dropped with the load balancer (`drop`) and by reset.

AWS publishes the public key at https://public-keys.auth.elb.<region>.amazonaws.com/<kid>;
gureum answers that URL on its main port by Host header (`handle`: GET with Host
public-keys.auth.elb.<region>.amazonaws.com, path /<kid>): the PEM, or 404."""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gureum import sealing
from gureum.http.server import Request, Response
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

KEYS = "elbv2_auth_keys"
PUBLIC = "elbv2_auth_public"
HOST = re.compile(r"^public-keys\.auth\.elb\.([a-z0-9-]+)\.amazonaws\.com(?::\d+)?$")


@dataclass(frozen=True)
class LbKeys:
    kid: str
    session: bytes  # AES-256-GCM
    signing_pem: bytes  # EC P-256 private key


def _context(lb_key: str) -> str:
    return f"elbv2-auth/{lb_key}"


def get_or_create(txn: Txn, lb_key: str) -> LbKeys:
    row = txn.get(KEYS, lb_key)
    if row is None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        secret = {"session": base64.b64encode(os.urandom(32)).decode(), "signing": pem.decode()}
        row = {"kid": str(uuid.uuid4()), "sealed": sealing.seal(txn, json.dumps(secret).encode(), _context(lb_key))}
        txn.put(KEYS, lb_key, row)
        txn.put(PUBLIC, row["kid"], {"pem": public.decode(), "region": lb_key.split("/")[1]})
    doc = json.loads(sealing.unseal(txn, row["sealed"], _context(lb_key)))
    return LbKeys(row["kid"], base64.b64decode(doc["session"]), doc["signing"].encode())


def drop(txn: Txn, lb_key: str) -> None:
    """A deleted load balancer's keys (its sessions no longer open anywhere)."""
    row = txn.get(KEYS, lb_key)
    if row is not None:
        txn.delete(KEYS, lb_key)
        txn.delete(PUBLIC, row["kid"])


async def handle(app: App, request: Request) -> Response | None:
    m = HOST.match(request.host.lower())
    if m is None:
        return None
    kid = request.path.strip("/")
    row = await app.store.read(lambda t: t.get(PUBLIC, kid)) if request.method == "GET" and kid else None
    if row is None or row["region"] != m.group(1):
        return Response(404, [("content-type", "text/plain")], b"Not Found")
    return Response(200, [("content-type", "application/x-pem-file")], row["pem"].encode())
