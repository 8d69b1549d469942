"""Who is calling: the access key picks the account; in strict mode the SigV4 signature is
verified (Authorization header and presigned query forms, clock skew) against the secret
of an IAM access key, STS temporary credentials, or a configured root key."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote

from gureum.aws.errors import AwsError

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.aws.routing import Scope
    from gureum.aws.specs import ServiceSpec
    from gureum.http.server import Request

DEFAULT_ACCOUNT = "000000000000"
MAX_SKEW = dt.timedelta(minutes=15)
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Identity:
    account_id: str
    access_key_id: str
    arn: str
    secret: str | None = None
    session_token: str | None = None
    active: bool = True
    expired: bool = False


def _root(account: str, key: str) -> Identity:
    return Identity(account, key, f"arn:aws:iam::{account}:root")


async def resolve(app: App, access_key_id: str) -> Identity | None:
    """The identity behind an access key id; None when gureum does not know the key."""
    if access_key_id.startswith(("AKIA", "ASIA")):
        # IAM keys and STS credentials (iam.lookup caches them and drops changed keys).
        from gureum.services.iam.lookup import resolve_access_key

        p = await resolve_access_key(app, access_key_id)
        if p is None:
            return None
        return Identity(
            p.account_id, access_key_id, p.arn, p.secret_access_key, p.session_token,
            active=p.active, expired=p.expired,
        )
    configured = configured_keys(app)
    if access_key_id in configured:
        account, secret = configured[access_key_id]
        return Identity(account, access_key_id, f"arn:aws:iam::{account}:root", secret)
    return None


def configured_keys(app: App) -> dict[str, tuple[str, str]]:
    """Root keys from `--set auth.keys=ID:SECRET[:ACCOUNT],...` (default test:test)."""
    text = app.config.setting("auth.keys", "test:test") or ""
    keys: dict[str, tuple[str, str]] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        parts = item.split(":")
        if len(parts) >= 2:
            account = parts[2] if len(parts) > 2 else (parts[0] if _ACCOUNT_KEY.match(parts[0]) else DEFAULT_ACCOUNT)
            keys[parts[0]] = (account, parts[1])
    return keys


async def authenticate(
    app: App,
    request: Request,
    scope: Scope | None,
    spec: ServiceSpec,
    body: bytes | None = None,
    unsigned_ok: bool = False,
) -> Identity:
    """The caller; `unsigned_ok` for operations AWS serves without a signature
    (authtype none, e.g. AssumeRoleWithWebIdentity)."""
    strict = app.config.auth == "strict"
    if scope is None:
        if strict and not unsigned_ok:
            raise AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
        return _root(DEFAULT_ACCOUNT, "")
    key = scope.access_key_id
    ident = await resolve(app, key)
    if not strict:
        if ident is not None:
            return ident
        return _root(key if _ACCOUNT_KEY.match(key) else DEFAULT_ACCOUNT, key)
    if ident is None or ident.secret is None or not ident.active:
        raise AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    if ident.expired:
        raise AwsError("ExpiredToken", "The security token included in the request is expired", 403)
    token = request.headers.get("x-amz-security-token") or request.query_dict().get("X-Amz-Security-Token")
    if ident.session_token is not None and token != ident.session_token:
        raise AwsError("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    verify_signature(request, scope, ident.secret, body)
    return ident


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    enc = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in enc)


def _canonical_path(raw_path: str, service: str) -> str:
    if service == "s3":
        return raw_path or "/"
    # Other services sign the already-encoded path encoded once more.
    return quote(raw_path or "/", safe="/~")


def verify_signature(request: Request, scope: Scope, secret: str, body: bytes | None) -> None:
    """Raise AWS's error unless the request carries a valid SigV4 signature."""
    headers = request.headers
    presigned = "X-Amz-Signature=" in request.query_string
    query_pairs = parse_qsl(request.query_string, keep_blank_values=True)
    if presigned:
        q = dict(query_pairs)
        signed_headers = q.get("X-Amz-SignedHeaders", "host")
        signature = q.get("X-Amz-Signature", "")
        amz_date = q.get("X-Amz-Date", "")
        expires = int(q.get("X-Amz-Expires", "3600") or 3600)
        query_pairs = [(k, v) for k, v in query_pairs if k != "X-Amz-Signature"]
        payload_hash = "UNSIGNED-PAYLOAD" if scope.service == "s3" else hashlib.sha256(body or b"").hexdigest()
    else:
        auth = headers.get("authorization", "")
        m_sh = re.search(r"SignedHeaders=([^,\s]+)", auth)
        m_sig = re.search(r"Signature=([0-9a-f]+)", auth)
        if not m_sh or not m_sig:
            raise AwsError("IncompleteSignature", "Authorization header requires 'Signature' and 'SignedHeaders'.", 403)
        signed_headers = m_sh.group(1)
        signature = m_sig.group(1)
        amz_date = headers.get("x-amz-date") or ""
        expires = None
        payload_hash = headers.get("x-amz-content-sha256") or ""
        if not payload_hash:
            payload_hash = hashlib.sha256(body or b"").hexdigest()
    try:
        when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise AwsError("IncompleteSignature", "Missing or malformed X-Amz-Date.", 403) from None
    now = dt.datetime.now(dt.timezone.utc)
    if expires is not None:
        if now > when + dt.timedelta(seconds=expires):
            raise AwsError("AccessDenied", "Request has expired", 403)
    elif abs(now - when) > MAX_SKEW:
        raise AwsError(
            "RequestExpired" if scope.service != "s3" else "RequestTimeTooSkewed",
            f"Request has expired. Signature date {amz_date}, current time {now.strftime('%Y%m%dT%H%M%SZ')}.",
            403 if scope.service != "s3" else 403,
        )
    names = signed_headers.split(";")
    canon_headers = "".join(
        f"{n}:{','.join(' '.join(v.split()) for v in headers.get_all(n))}\n" for n in names
    )
    canonical = "\n".join(
        [
            request.method,
            _canonical_path(request.raw_path, scope.service),
            _canonical_query(query_pairs),
            canon_headers,
            signed_headers,
            payload_hash,
        ]
    )
    cred_scope = f"{scope.date}/{scope.region}/{scope.service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, cred_scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    expected = hmac.new(signing_key(secret, scope.date, scope.region, scope.service), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise AwsError(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            403,
        )
