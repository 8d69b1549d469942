"""AWS errors: what a handler raises, what the edge serializes per protocol.

A handler raises `AwsError(code, message, status)` (or a subclass). `sender_fault` says whether
the client is to blame (4xx, `Sender`) or we are (5xx, `Receiver`). Extra fields that the
service's error shape defines (e.g. Lambda's `Type`, Route 53's `messages`) go in `fields`.

Client values echoed in messages go through `clip` (at most ECHO_MAX characters, like AWS's
short messages), and `clean` makes any text safe to serialize: lone surrogates (which JSON
escapes can carry) and characters XML 1.0 cannot hold become U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

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
        **fields: Any,
    ) -> None:
        self.code = code or type(self).code
        self.message = message if message is not None else type(self).message
        self.status = status if status is not None else type(self).status
        self.sender_fault = self.status < 500 if sender_fault is None else sender_fault
        self.fields = fields
        super().__init__(f"{self.code}: {self.message}")


MESSAGE_MAX = 8192


def serializable(err: AwsError) -> AwsError:
    """`err` with its message and text fields made safe for any protocol's encoder."""
    err.message = clean(err.message if len(err.message) <= MESSAGE_MAX else err.message[:MESSAGE_MAX] + "...")
    for k, v in err.fields.items():
        if isinstance(v, str):
            err.fields[k] = clip(v, MESSAGE_MAX)
    return err


def error(code: str, message: str, status: int = 400, **fields: Any) -> AwsError:
    """Shorthand for a client error."""
    return AwsError(code, message, status, **fields)


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
