"""IAM's port for other services: the execution roles they act as. `get_role` (the role as
GetRole shows it, or None), `role_trusts_service` (its trust policy lets a service principal
assume it) and `assume_role_credentials` (temporary credentials, as STS AssumeRole by that
service would issue) — all of them lookup.py's, on IAM's tables.

Inside the caller's store transaction (sessions.py's, on IAM's tables):
`service_role_credentials` (a role assumed by a service principal, e.g. an ECS task role by
ecs-tasks.amazonaws.com) and `root_session_credentials` (an account root's session, as
GetSessionToken would issue it, e.g. for an ECS agent fetching on the account's behalf).
Each returns STS's `Credentials` shape: {AccessKeyId, SecretAccessKey, SessionToken,
Expiration (aware datetime)}."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.iam import lookup, sessions, trust

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


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


def service_role_credentials(txn: Txn, role_arn: str, session_name: str, duration_seconds: int, *,
                             service: str, region: str = "us-east-1", source: str = "service") -> dict[str, Any]:
    """Credentials for the role, assumed by the service principal `service` in `region`
    (`source`: who the session records as its issuer); AccessDenied when the role is missing
    or its trust policy does not let `service` assume it, as STS AssumeRole would."""
    rec = sessions.assume_role(txn, role_arn, session_name, duration_seconds,
                               principal=trust.service_principal(service), region=region, source=source)
    return sessions.credentials(rec)


def root_session_credentials(txn: Txn, account: str, duration_seconds: int, source: str) -> dict[str, Any]:
    """Temporary credentials of `account`'s root, as its GetSessionToken would issue them."""
    rec = sessions.session_token(txn, account, arns.iam_root(account), account, duration_seconds, source)
    return sessions.credentials(rec)


def caller_session_credentials(txn: Txn, account: str, arn: str, duration_seconds: int, source: str,
                               policy: str | None = None) -> dict[str, Any]:
    """Temporary credentials carrying the caller's own identity (`arn`), narrowed by the
    session policy `policy` when given: what S3's CreateSession hands out for a directory
    bucket (five minutes, ReadOnly sessions narrowed to reads)."""
    user_id = account if arn == arns.iam_root(account) else arn
    rec = sessions.session_token(txn, account, arn, user_id, duration_seconds, source,
                                 {"Documents": [policy]} if policy else None)
    return sessions.credentials(rec)
