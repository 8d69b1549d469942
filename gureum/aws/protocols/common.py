"""Scalar conversions shared by the protocols: timestamps, blobs, booleans, numbers."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from gureum.aws.errors import AwsError, clip
from gureum.aws.specs import Shape

UTC = dt.timezone.utc


class ParseError(AwsError):
    """The request body or a parameter is not what the model says it must be."""

    code = "SerializationException"
    status = 400


def parse_timestamp(value: Any, where: str = "") -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):  # out of datetime's range, NaN
            pass
    elif isinstance(value, str):
        s = value.strip()
        try:
            return dt.datetime.fromtimestamp(float(s), UTC)
        except (OverflowError, OSError, ValueError):
            pass
        try:
            iso = s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s
            parsed = dt.datetime.fromisoformat(iso)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except ValueError:
            pass
        try:
            parsed = parsedate_to_datetime(s)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        except (TypeError, ValueError, IndexError):
            pass
    raise ParseError(message=f"Invalid timestamp {clip(repr(value))}{' for ' + where if where else ''}")


def timestamp_format(shape: Shape, default: str) -> str:
    return shape.trait("timestampFormat") or default


def format_timestamp(value: Any, fmt: str) -> Any:
    """Render a datetime (or epoch number / ISO string) in the model's format."""
    ts = parse_timestamp(value)
    if fmt == "unixTimestamp":
        secs = ts.timestamp()
        return int(secs) if secs == int(secs) else round(secs, 3)
    if fmt == "rfc822":
        return format_datetime(ts.astimezone(UTC), usegmt=True)
    # iso8601, millisecond precision like AWS
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def b64decode(value: str, where: str = "") -> bytes:
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise ParseError(message=f"Invalid base64 value{' for ' + where if where else ''}") from None


def b64encode(value: bytes | str) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode("ascii")


def parse_bool(value: Any, where: str = "") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        if low == "true":
            return True
        if low == "false":
            return False
    raise ParseError(message=f"Invalid boolean {clip(repr(value))}{' for ' + where if where else ''}")


def parse_scalar_text(shape: Shape, text: str, where: str, ts_default: str = "iso8601") -> Any:
    """A scalar from its text form (query strings, headers, XML)."""
    t = shape.type
    if t == "string":
        return text
    if t in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise ParseError(message=f"Invalid integer {clip(repr(text))} for {where}") from None
    if t in ("float", "double"):
        try:
            return float(text)
        except ValueError:
            raise ParseError(message=f"Invalid number {clip(repr(text))} for {where}") from None
    if t == "boolean":
        return parse_bool(text, where)
    if t == "timestamp":
        return parse_timestamp(text, where)
    if t == "blob":
        return b64decode(text, where)
    return text


def scalar_text(shape: Shape, value: Any, ts_default: str = "iso8601") -> str:
    """A scalar's text form (query strings, headers, XML)."""
    t = shape.type
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return str(format_timestamp(value, timestamp_format(shape, ts_default)))
    if t == "blob":
        return b64encode(value)
    if t in ("float", "double") and isinstance(value, float) and value == int(value):
        return str(value)
    return str(value)
