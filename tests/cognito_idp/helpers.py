"""Helpers of the Cognito tests: pools, clients and users made per test, errors, and the
codes gureum logs."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

STRONG = "Passw0rd!x"


def uniq(prefix: str = "p") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"]), str(e.value.response["Error"]["Message"])


def make_pool(idp: Any, **kwargs: Any) -> str:
    return str(idp.create_user_pool(PoolName=uniq("pool"), **kwargs)["UserPool"]["Id"])


def make_client(idp: Any, pool_id: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ExplicitAuthFlows", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                                            "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"])
    return dict(idp.create_user_pool_client(UserPoolId=pool_id, ClientName=uniq("c"), **kwargs)["UserPoolClient"])


def confirmed_user(idp: Any, pool_id: str, username: str, password: str = STRONG, **attrs: str) -> None:
    idp.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": k, "Value": v} for k, v in attrs.items()])
    idp.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=password, Permanent=True)


def codes_in_log(gureum: Any, username: str, purpose: str) -> list[str]:
    """The codes gureum logged for `username` (messages.py's line), oldest first."""
    text = gureum.log_path.read_text(errors="replace")
    pattern = re.compile(re.escape(f"cognito-idp {purpose} code for user {username} ") + r"in pool \S+ \(to [^)]*\): (\S+) \|")
    return [m.group(1) for m in pattern.finditer(text)]


def last_code(gureum: Any, username: str, purpose: str) -> str:
    found: list[str] = []

    def logged() -> bool:
        found[:] = codes_in_log(gureum, username, purpose)
        return bool(found)

    wait_for(f"a {purpose} code for {username} in gureum's log", logged, 10)
    return found[-1]
