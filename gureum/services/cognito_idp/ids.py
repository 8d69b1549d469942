"""Identifiers as Cognito shapes them: pool ids "<region>_<9 letters or digits>", app client
ids (26 lower-case letters and digits), client secrets, sub (a UUID4), opaque codes."""

from __future__ import annotations

import secrets
import string
import uuid

_ALNUM = string.ascii_letters + string.digits
_LOWER = string.ascii_lowercase + string.digits


def pool_id(region: str) -> str:
    return region + "_" + "".join(secrets.choice(_ALNUM) for _ in range(9))


def client_id() -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(26))


def client_secret() -> str:
    return "".join(secrets.choice(_LOWER) for _ in range(51))


def sub() -> str:
    return str(uuid.uuid4())


def code(digits: int = 6) -> str:
    return "".join(secrets.choice(string.digits) for _ in range(digits))
