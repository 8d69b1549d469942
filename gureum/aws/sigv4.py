"""SigV4 signature checks, sans-IO: what a request's headers (or presigned query) say was
signed, the clock rules, the canonical request and the expected signature.

Order of checks (strict mode, see gureum.aws.auth): `parse` and `check_time` need only the
request line and headers; `payload_plan` says how the body is bound to the signature:

- DECLARED: the hex SHA-256 in `x-amz-content-sha256` is signed; the body must hash to it
  (checked while it streams, `XAmzContentSHA256Mismatch` when it does not).
- UNSIGNED: `UNSIGNED-PAYLOAD` (S3 only, and S3 presigned URLs): the body is not covered.
- SIGNED_CHUNKS: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`: aws-chunked, every chunk
  (and the trailer) signed in a chain seeded by the header signature (gureum.aws.chunksig).
- UNSIGNED_CHUNKS: `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked, not covered (S3
  checks the trailing checksum).
- BODY: every service but S3 (whatever `x-amz-content-sha256` says): the signature itself
  covers sha256(body), so it can only be checked once the whole body is read.

Which service signs which way is its hooks' say (gureum.aws.hooks, looked up by the
credential scope's service): `payload_hash_from_header`, `path_signed_as_sent`, `skew_error`.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote

from gureum.aws import hooks
from gureum.aws.errors import AwsError

if TYPE_CHECKING:
    from gureum.aws.routing import Scope
    from gureum.http.server import Request

MAX_SKEW = dt.timedelta(minutes=15)
MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # 604800: AWS's limit for SigV4 presigned URLs
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SIGNED_HEADERS = re.compile(r"SignedHeaders=([^,\s]+)")
_SIGNATURE = re.compile(r"Signature=([0-9a-fA-F]+)")


class PayloadKind(enum.Enum):
    DECLARED = "declared"
    UNSIGNED = "unsigned"
    SIGNED_CHUNKS = "signed-chunks"
    UNSIGNED_CHUNKS = "unsigned-chunks"
    BODY = "body"


@dataclass(frozen=True)
class PayloadPlan:
    kind: PayloadKind
    value: str  # what goes in the canonical request's payload line ("" for BODY: not yet known)
    trailer: bool = False  # SIGNED_CHUNKS: a signed trailer follows the last chunk


@dataclass(frozen=True)
class Signed:
    """What the client says it signed, read from the Authorization header or the query."""

    presigned: bool
    amz_date: str
    when: dt.datetime
    signed_headers: str
    signature: str
    query_pairs: tuple[tuple[str, str], ...]  # the query without X-Amz-Signature
    expires: int | None  # presigned only: seconds
    content_sha256: str | None  # the x-amz-content-sha256 header, if sent


def signature_mismatch() -> AwsError:
    return AwsError.common(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )


def _query_error(message: str) -> AwsError:
    return AwsError.common("AuthorizationQueryParametersError", message)


def _expires(text: str | None) -> int:
    if text is None or text == "":
        raise _query_error("Query-string authentication version 4 requires the X-Amz-Algorithm, "
                           "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                           "and X-Amz-Expires parameters.")
    try:
        seconds = int(text.strip(), 10)
    except ValueError:
        raise _query_error("X-Amz-Expires should be a number") from None
    if seconds < 0:
        raise _query_error("X-Amz-Expires must be non-negative")
    if seconds > MAX_PRESIGN_SECONDS:
        raise _query_error("X-Amz-Expires must be less than a week (in seconds); that is, the given "
                           f"X-Amz-Expires must be less than {MAX_PRESIGN_SECONDS} seconds")
    return seconds


def _parse_date(text: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise AwsError.common("IncompleteSignature", "Missing or malformed X-Amz-Date.") from None


def parse(request: Request) -> Signed:
    """The signature's parts; raises AWS's error for a malformed header or query."""
    pairs = parse_qsl(request.query_string, keep_blank_values=True)
    if "X-Amz-Signature=" in request.query_string:
        q = dict(pairs)
        expires = _expires(q.get("X-Amz-Expires"))
        amz_date = q.get("X-Amz-Date", "")
        return Signed(
            presigned=True,
            amz_date=amz_date,
            when=_parse_date(amz_date),
            signed_headers=q.get("X-Amz-SignedHeaders", "host"),
            signature=q.get("X-Amz-Signature", ""),
            query_pairs=tuple((k, v) for k, v in pairs if k != "X-Amz-Signature"),
            expires=expires,
            content_sha256=request.headers.get("x-amz-content-sha256"),
        )
    auth = request.headers.get("authorization", "") or ""
    m_sh = _SIGNED_HEADERS.search(auth)
    m_sig = _SIGNATURE.search(auth)
    if not m_sh or not m_sig:
        raise AwsError.common("IncompleteSignature", "Authorization header requires 'Signature' and 'SignedHeaders'.")
    amz_date = request.headers.get("x-amz-date") or ""
    return Signed(
        presigned=False,
        amz_date=amz_date,
        when=_parse_date(amz_date),
        signed_headers=m_sh.group(1),
        signature=m_sig.group(1).lower(),
        query_pairs=tuple(pairs),
        expires=None,
        content_sha256=request.headers.get("x-amz-content-sha256"),
    )


def check_time(signed: Signed, service: str, now: dt.datetime) -> None:
    """Presigned URLs live `X-Amz-Expires` seconds; signed headers 15 minutes either way."""
    if signed.expires is not None:
        if now > signed.when + dt.timedelta(seconds=signed.expires):
            raise AwsError.common("AccessDenied", "Request has expired")
        return
    if abs(now - signed.when) > MAX_SKEW:
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        raise hooks.for_signing_name(service).skew_error(signed.amz_date, stamp) or AwsError.common(
            "RequestExpired", f"Request has expired. Signature date {signed.amz_date}, current time {stamp}.")


def payload_plan(signed: Signed, service: str) -> PayloadPlan:
    """How the body is bound to this signature (see the module docstring)."""
    if not hooks.for_signing_name(service).payload_hash_from_header():
        # Only S3 takes the payload hash from x-amz-content-sha256 (its hooks say so);
        # everywhere else the signature covers sha256(body) as received, whatever that
        # (unsigned) header says.
        return PayloadPlan(PayloadKind.BODY, "")
    declared = (signed.content_sha256 or "").strip()
    if signed.presigned:
        return PayloadPlan(PayloadKind.UNSIGNED, UNSIGNED_PAYLOAD)
    if not declared:
        raise AwsError.common("InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
    if _HEX64.match(declared.lower()):
        return PayloadPlan(PayloadKind.DECLARED, declared.lower())
    if declared == UNSIGNED_PAYLOAD:
        return PayloadPlan(PayloadKind.UNSIGNED, declared)
    if declared == STREAMING_SIGNED:
        return PayloadPlan(PayloadKind.SIGNED_CHUNKS, declared)
    if declared == STREAMING_SIGNED_TRAILER:
        return PayloadPlan(PayloadKind.SIGNED_CHUNKS, declared, trailer=True)
    if declared == STREAMING_UNSIGNED_TRAILER:
        return PayloadPlan(PayloadKind.UNSIGNED_CHUNKS, declared)
    raise AwsError.common(
        "InvalidArgument",
        "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
        "or a valid sha256 value.",
        ArgumentName="x-amz-content-sha256",
        ArgumentValue=declared,
    )


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def credential_scope(scope: Scope) -> str:
    return f"{scope.date}/{scope.region}/{scope.service}/aws4_request"


def _canonical_query(pairs: tuple[tuple[str, str], ...]) -> str:
    enc = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in enc)


def _canonical_path(raw_path: str, service: str) -> str:
    if hooks.for_signing_name(service).path_signed_as_sent():  # S3
        return raw_path or "/"
    # Other services sign the already-encoded path encoded once more.
    return quote(raw_path or "/", safe="/~")


def canonical_request(request: Request, scope: Scope, signed: Signed, payload_hash: str) -> str:
    names = signed.signed_headers.split(";")
    headers = request.headers
    canon_headers = "".join(
        f"{n}:{','.join(' '.join(v.split()) for v in headers.get_all(n))}\n" for n in names
    )
    return "\n".join(
        [
            request.method,
            _canonical_path(request.signed_path or request.raw_path, scope.service),
            _canonical_query(signed.query_pairs),
            canon_headers,
            signed.signed_headers,
            payload_hash,
        ]
    )


def expected_signature(key: bytes, request: Request, scope: Scope, signed: Signed, payload_hash: str) -> str:
    canonical = canonical_request(request, scope, signed, payload_hash)
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", signed.amz_date, credential_scope(scope),
         hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def check_signature(key: bytes, request: Request, scope: Scope, signed: Signed, payload_hash: str) -> None:
    """Raise SignatureDoesNotMatch unless `signed.signature` signs this request and payload hash."""
    expected = expected_signature(key, request, scope, signed, payload_hash)
    if not hmac.compare_digest(expected, signed.signature):
        raise signature_mismatch()


def content_mismatch(declared: str, computed: str) -> AwsError:
    return AwsError.common(
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ClientComputedContentSHA256=declared,
        S3ComputedContentSHA256=computed,
    )
