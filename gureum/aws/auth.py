"""Who is calling: the access key picks the account; in strict mode the SigV4 signature is
verified (Authorization header and presigned query forms, clock skew, and the body: see
gureum.aws.sigv4 and gureum.aws.chunksig) against the secret of an IAM access key, STS
temporary credentials, or a configured root key.

Strict mode works in two steps so that a request is refused before its body is read:
`admit` checks what the headers alone can tell (a signature at all, a known and active key,
the session token, the clock, and the whole signature where it commits to a declared payload
hash); then `Admission.finish(body)` binds a body read whole (its hash compared with the
declared one, or the deferred signature over sha256(body) checked), or `Admission.stream`
wraps a streamed body in the same check (S3 uploads: never held whole in memory).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws import chunksig, sigv4
from gureum.aws.errors import AwsError
from gureum.aws.sigv4 import PayloadKind, PayloadPlan, Signed, signing_key

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.aws.routing import Scope
    from gureum.http.server import Request

DEFAULT_ACCOUNT = "000000000000"
MAX_SKEW = sigv4.MAX_SKEW
# An unsigned form-encoded request (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) is read to
# find its Action; a larger one is refused unread.
UNSIGNED_FORM_MAX = 1 << 20
_HASH_INLINE = 1 << 20
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
    return Identity(account, key, arns.iam_root(account))


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
        return Identity(account, access_key_id, arns.iam_root(account), secret)
    return None


def configured_keys(app: App) -> dict[str, tuple[str, str]]:
    """Root keys from `--set auth.keys=ID:SECRET[:ACCOUNT],...` (default test:test)."""
    from gureum.node_settings import AuthSettings

    text = app.settings(AuthSettings).keys
    keys: dict[str, tuple[str, str]] = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        parts = item.split(":")
        if len(parts) >= 2:
            account = parts[2] if len(parts) > 2 else (parts[0] if _ACCOUNT_KEY.match(parts[0]) else DEFAULT_ACCOUNT)
            keys[parts[0]] = (account, parts[1])
    return keys


def missing_token() -> AwsError:
    return AwsError.common("MissingAuthenticationToken", "Request is missing Authentication Token")


def invalid_token() -> AwsError:
    return AwsError.common("InvalidClientTokenId", "The security token included in the request is invalid.")


@dataclass
class Admission:
    """The outcome of the header checks; the body check still to come (see module docstring)."""

    identity: Identity
    unsigned: bool = False  # strict mode, no signature at all: allowed only for authtype none
    request: Request | None = None
    scope: Scope | None = None
    signed: Signed | None = None
    plan: PayloadPlan | None = None
    key: bytes = b""

    @property
    def verifying(self) -> bool:
        return self.plan is not None

    @property
    def needs_whole_body(self) -> bool:
        """The signature covers sha256(body) itself: the body must be read before it is checked."""
        return self.plan is not None and self.plan.kind is PayloadKind.BODY

    def require_signed(self, unsigned_ok: bool) -> None:
        if self.unsigned and not unsigned_ok:
            raise missing_token()

    async def finish(self, body: bytes | None) -> Identity:
        """Check a body read whole against the signature; the caller's identity."""
        plan = self.plan
        if plan is None:
            return self.identity
        assert self.request is not None and self.scope is not None and self.signed is not None
        data = body or b""
        if plan.kind is PayloadKind.BODY:
            sigv4.check_signature(self.key, self.request, self.scope, self.signed, await _sha256(data))
        elif plan.kind is PayloadKind.DECLARED and body is not None:
            computed = await _sha256(data)
            if computed != plan.value:
                raise sigv4.content_mismatch(plan.value, computed)
        elif plan.kind is PayloadKind.SIGNED_CHUNKS and body is not None:
            checker = self._chunks()
            checker.feed(data)
            checker.finish()
        return self.identity

    def stream(self, source: AsyncIterable[bytes]) -> AsyncIterable[bytes]:
        """`source` (the request body) wrapped in the payload check the signature calls for."""
        plan = self.plan
        if plan is None:
            return source
        if plan.kind is PayloadKind.DECLARED:
            return chunksig.verify_sha256(source, plan.value)
        if plan.kind is PayloadKind.SIGNED_CHUNKS:
            return chunksig.verify_chunks(source, self._chunks())
        if plan.kind is PayloadKind.BODY:  # callers read such bodies whole (needs_whole_body)
            raise AssertionError("a body covered by the signature itself cannot be streamed")
        return source

    def _chunks(self) -> chunksig.ChunkSignatures:
        assert self.plan is not None and self.scope is not None and self.signed is not None
        return chunksig.ChunkSignatures(
            self.key, self.signed.amz_date, sigv4.credential_scope(self.scope),
            self.signed.signature, self.plan.trailer,
        )


async def _note_use(app: App, ident: Identity, scope: Scope) -> None:
    """IAM's record of which keys and sessions reached which service (GetAccessKeyLastUsed,
    access advisor): a cache check per request, a store write at most once a minute per key."""
    if ident.access_key_id.startswith(("AKIA", "ASIA")):
        from gureum.services.iam.lookup import note_access_key_used

        await note_access_key_used(app, ident.access_key_id, scope.service, scope.region)


async def admit(app: App, request: Request, scope: Scope | None) -> Admission:
    """Everything the request line and headers can tell about the caller; in strict mode
    raises AWS's 4xx for a missing or bad credential, a stale or malformed signature date, a
    signature over the wrong headers, before any of the body is read."""
    strict = app.config.auth == "strict"
    if scope is None:
        return Admission(_root(DEFAULT_ACCOUNT, ""), unsigned=strict)
    key = scope.access_key_id
    if not strict:
        ident = await resolve(app, key)
        if ident is not None:
            await _note_use(app, ident, scope)
            return Admission(ident)
        return Admission(_root(key if _ACCOUNT_KEY.match(key) else DEFAULT_ACCOUNT, key))
    signed = sigv4.parse(request)
    ident = await resolve(app, key)
    if ident is None or ident.secret is None or not ident.active:
        raise invalid_token()
    if ident.expired:
        raise AwsError.common("ExpiredToken", "The security token included in the request is expired")
    token = (request.headers.get("x-amz-security-token") or request.headers.get("x-amz-s3session-token")
             or request.query_dict().get("X-Amz-Security-Token"))
    if ident.session_token is not None and token != ident.session_token:
        raise invalid_token()
    sigv4.check_time(signed, scope.service, dt.datetime.now(dt.timezone.utc))
    plan = sigv4.payload_plan(signed, scope.service)
    skey = signing_key(ident.secret, scope.date, scope.region, scope.service)
    if plan.kind is not PayloadKind.BODY:
        sigv4.check_signature(skey, request, scope, signed, plan.value)
    await _note_use(app, ident, scope)
    return Admission(ident, request=request, scope=scope, signed=signed, plan=plan, key=skey)


async def authenticate(
    app: App,
    request: Request,
    scope: Scope | None,
    spec: Any = None,
    body: bytes | None = None,
    unsigned_ok: bool = False,
) -> Identity:
    """The caller of a request whose body has been read whole (e.g. Lambda function URLs);
    `unsigned_ok` for operations AWS serves without a signature (authtype none)."""
    admission = await admit(app, request, scope)
    admission.require_signed(unsigned_ok)
    return await admission.finish(body)


async def _sha256(data: bytes) -> str:
    """Hex SHA-256; large bodies hashed off the event loop (hashlib releases the GIL)."""
    if len(data) < _HASH_INLINE:
        return hashlib.sha256(data).hexdigest()
    return await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
