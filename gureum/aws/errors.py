"""AWS errors: what a handler raises, what the edge serializes per protocol.

One way to raise a modeled error: `raise AwsError.modeled(service, code, message, **fields)`.
The code is looked up in the service's botocore model (with the patches its package declares,
gureum/aws/specs.py): the error shape's `error.httpStatusCode` (else 500 for `fault` shapes,
400 otherwise), `error.senderFault`, and `error.code` — the code on the wire for the query and
rest-xml protocols, and for awsQueryCompatible json services the query code sent in
x-amzn-query-error (the `QueryCode` field). Codes no model declares but AWS sends for every
service (signature and throttling errors, `ValidationException`...) come from COMMON. An
unknown code is a bug: `modeled` raises LookupError (tests/aws/test_modeled_errors.py walks
every service's raise sites).

`AwsError(code, message, status)` stays for what is not a service's modeled error (the wire
layer's own 5xx/501s). The wire layer, answering for no particular service, raises
`AwsError.common(code, message)`. `sender_fault` says whether the client is to blame (4xx, `Sender`) or
we are (5xx, `Receiver`). Extra fields that the service's error shape defines (e.g. Lambda's
`Type`, Route 53's `messages`) go in `fields`.

`message_key` and `json_type` say how the json protocols name an error's message member and
its `__type` (per the service's model). Client values echoed in messages go through `clip` (at most ECHO_MAX characters, like AWS's
short messages), and `clean` makes any text safe to serialize: lone surrogates (which JSON
escapes can carry) and characters XML 1.0 cannot hold become U+FFFD.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.aws.specs import ServiceSpec

ECHO_MAX = 256
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clip(value: object, limit: int = ECHO_MAX) -> str:
    """A client value as echoed in an error message: short and serializable."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return clean(text)


def clean(text: str) -> str:
    """`text` with what neither UTF-8 nor XML 1.0 can carry replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)


class AwsError(Exception):
    code: str = "InternalFailure"
    status: int = 400
    message: str = ""

    def __init__(
        self,
        code: str | None = None,
        message: str | None = None,
        status: int | None = None,
        *,
        sender_fault: bool | None = None,
        headers: Sequence[tuple[str, str]] = (),
        **fields: Any,
    ) -> None:
        self.code = code or type(self).code
        self.message = message if message is not None else type(self).message
        self.status = status if status is not None else type(self).status
        self.sender_fault = self.status < 500 if sender_fault is None else sender_fault
        self.fields = fields
        # HTTP headers the error response carries besides the protocol's own (S3's
        # x-amz-delete-marker on a delete marker's 405); never part of the error document.
        self.headers = list(headers)
        super().__init__(f"{self.code}: {self.message}")

    @classmethod
    def modeled(cls, service: str, code: str, message: str, *, headers: Sequence[tuple[str, str]] = (),
                **fields: Any) -> AwsError:
        """`service`'s error `code` (its shape name or wire code) as the model declares it;
        `headers` go on the response as they are, `fields` into the error document."""
        facts = error_facts(service, code)
        if facts.query_code is not None:
            fields.setdefault("QueryCode", facts.query_code)
        return AwsError(facts.code, message, facts.status, sender_fault=facts.sender_fault, headers=headers, **fields)

    @classmethod
    def common(cls, code: str, message: str, **fields: Any) -> AwsError:
        """A COMMON error, for the wire layer where no service (or any) is answering."""
        status, sender = COMMON[code]
        return AwsError(code, message, status, sender_fault=sender, **fields)


@dataclass(frozen=True)
class ErrorFacts:
    """How an error code goes on the wire: its code, HTTP status, fault, query code."""

    code: str
    status: int
    sender_fault: bool
    query_code: str | None = None  # awsQueryCompatible json services: x-amzn-query-error's code


def _common(status: int) -> tuple[int, bool]:
    return status, status < 500


# Errors AWS sends for any service that its models do not declare (AWS's "Common Errors"
# pages and what AWS answers), code -> (HTTP status, sender fault). The statuses are the ones
# gureum has always answered (AWS's own answers where they differ from its docs).
COMMON: dict[str, tuple[int, bool]] = {
    # Authentication and signatures (gureum/aws/auth.py, sigv4.py)
    "AccessDenied": _common(403),
    "AccessDeniedException": _common(400),  # json services (S3 and the query ones: AccessDenied 403)
    "AuthorizationQueryParametersError": _common(400),
    "ExpiredToken": _common(403),
    "IncompleteSignature": _common(403),
    "InvalidClientTokenId": _common(403),
    "MissingAuthenticationToken": _common(403),
    "RequestExpired": _common(403),
    "SignatureDoesNotMatch": _common(403),
    # SigV4 with a header-declared payload hash and aws-chunked bodies (gureum/aws/chunksig.py)
    "IncompleteBody": _common(400),
    "InvalidArgument": _common(400),
    "InvalidRequest": _common(400),
    "XAmzContentSHA256Mismatch": _common(400),
    # Request shape and input
    "InvalidAction": _common(400),
    "InvalidParameterCombination": _common(400),
    "InvalidParameterValue": _common(400),
    "InvalidQueryParameter": _common(400),
    "MalformedQueryString": _common(404),
    "MissingAction": _common(400),
    "MissingParameter": _common(400),
    "SerializationException": _common(400),
    "UnknownOperationException": _common(400),
    "UnknownService": _common(400),  # gureum's: a credential scope naming no AWS service
    "ValidationError": _common(400),
    "ValidationException": _common(400),
    # Limits and availability
    "RequestEntityTooLarge": _common(413),
    "ThrottlingException": _common(400),
    "Throttling": _common(400),
    "InternalFailure": _common(500),
    "ServiceUnavailable": _common(503),
    "NotImplemented": _common(501),
}

_FACTS: dict[tuple[str, str], ErrorFacts] = {}


def error_facts(service: str, code: str) -> ErrorFacts:
    """The wire facts of `service`'s error `code`: its model's, else COMMON's."""
    facts = _FACTS.get((service, code))
    if facts is None:
        facts = _from_model(service, code)
        if facts is None:
            if code not in COMMON:
                raise LookupError(f"{service} models no error {code!r} and it is not a common error")
            status, sender = COMMON[code]
            facts = ErrorFacts(code, status, sender)
        _FACTS[(service, code)] = facts
    return facts


def _from_model(service: str, code: str) -> ErrorFacts | None:
    from gureum.aws import specs

    spec = specs.load(service)
    shape = spec.error_shape(code)
    if shape is None:
        return None
    trait = shape.raw.get("error") or {}
    fault = bool(shape.raw.get("fault"))
    status = int(trait.get("httpStatusCode") or (500 if fault else 400))
    sender = bool(trait["senderFault"]) if "senderFault" in trait else not fault and status < 500
    wire = trait.get("code") or shape.name
    if spec.protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        query = trait.get("code") if spec.query_compatible and trait.get("code") != shape.name else None
        return ErrorFacts(shape.name, status, sender, query)
    return ErrorFacts(wire, status, sender)


def message_key(spec: ServiceSpec | None, code: str) -> str:
    """The member an error document carries its message in: the error shape's own casing
    (`Message` for Cloud Map and half of Lambda's errors), else AWS's usual `message`."""
    shape = spec.error_shape(code) if spec is not None else None
    if shape is not None:
        for name in shape.members:
            if name.lower() == "message":
                return name
    return "message"


def json_type(spec: ServiceSpec | None, code: str) -> str:
    """The json protocols' `__type`: the code, qualified by the service's Smithy namespace
    where AWS sends it so (`com.amazonaws.sqs#QueueDoesNotExist`) for the errors the model
    declares (common ones, like SerializationException, stay bare); the namespace is the
    `errorTypeNamespace` a package's model patch sets in the model's metadata."""
    namespace = spec.metadata.get("errorTypeNamespace") if spec is not None else None
    if namespace and spec is not None and spec.error_shape(code) is not None:
        return f"{namespace}#{code}"
    return code


MESSAGE_MAX = 8192


def serializable(err: AwsError) -> AwsError:
    """`err` with its message and text fields made safe for any protocol's encoder."""
    err.message = clean(err.message if len(err.message) <= MESSAGE_MAX else err.message[:MESSAGE_MAX] + "...")
    for k, v in err.fields.items():
        if isinstance(v, str):
            err.fields[k] = clip(v, MESSAGE_MAX)
    return err


class ValidationError(AwsError):
    """Input failed model validation. The code depends on the service (see validate.py)."""

    code = "ValidationException"
    status = 400


class InternalFailure(AwsError):
    code = "InternalFailure"
    status = 500
    message = "We encountered an internal error. Please try again."


class UnknownOperation(AwsError):
    code = "InvalidAction"
    status = 400


class UnknownService(AwsError):
    code = "UnknownService"
    status = 400


class MalformedRequest(AwsError):
    code = "SerializationException"
    status = 400


class RequestTooLarge(AwsError):
    code = "RequestEntityTooLarge"
    status = 413
    message = "Request body is too large."


class AccessDenied(AwsError):
    code = "AccessDenied"
    status = 403


class NotImplementedOperation(AwsError):
    """The operation exists in AWS's model but gureum does not implement it (yet)."""

    code = "NotImplemented"
    status = 501
