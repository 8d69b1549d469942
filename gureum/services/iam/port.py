"""IAM's port for other services: the execution roles they act as. `get_role` (the role as
GetRole shows it, or None), `role_trusts_service` (its trust policy lets a service principal
assume it) and `assume_role_credentials` (temporary credentials, as STS AssumeRole by that
service would issue) — all of them lookup.py's, on IAM's tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.iam import lookup

if TYPE_CHECKING:
    from gureum.app import App


async def get_role(app: App, account_id: str, role_arn: str) -> dict[str, Any] | None:
    return await lookup.get_role(app, account_id, role_arn)


def role_trusts_service(role: dict[str, Any], service: str) -> bool:
    return lookup.role_trusts_service(role, service)


async def assume_role_credentials(app: App, account_id: str, role_arn: str, session_name: str,
                                  duration_seconds: int = 3600,
                                  service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    """{AccessKeyId, SecretAccessKey, SessionToken, Expiration}; AccessDenied when the role is
    missing or does not trust `service`."""
    return await lookup.assume_role_credentials(app, account_id, role_arn, session_name, duration_seconds, service)
