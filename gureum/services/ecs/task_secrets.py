"""Container `secrets` and `repositoryCredentials`, resolved at task start as the ECS agent
does with the task execution role, through SSM's and Secrets Manager's ports (in one store
transaction; nothing of theirs is imported but the ports).

`valueFrom` is an SSM parameter (a name, or a parameter ARN) or a Secrets Manager secret ARN
(full or partial) optionally followed by `:json-key:version-stage:version-id` (each part may
be empty: `arn...:secret:db-AbCdEf:password::`). A secret of another account than the
task's is read only when its resource policy lets the task execution role (a session of it)
GetSecretValue; another account's SSM parameter never (gureum shares none).
Any failure stops the task with AWS's stoppedReason ("ResourceInitializationError: unable to
pull secrets or registry auth: ...").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.engine import AuthRequest, Decision, PolicyError, Principal, parse_policy, statement_decision
from gureum.services.secretsmanager import port as secretsmanager
from gureum.services.ssm import port as ssm
from gureum.store import Store, Txn

PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "


class SecretsError(Exception):
    """Why the task's secrets could not be read; str() is the task's stoppedReason."""


@dataclass(frozen=True)
class SecretRef:
    """A Secrets Manager reference: the secret's ARN and the optional selectors."""

    arn: str
    json_key: str | None = None
    stage: str | None = None
    version_id: str | None = None


def parse_secret_ref(value: str) -> SecretRef:
    """`arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key[:stage[:id]]]`."""
    parts = value.split(":")
    base, extra = ":".join(parts[:7]), parts[7:] + ["", "", ""]
    return SecretRef(base, extra[0] or None, extra[1] or None, extra[2] or None)


def is_secretsmanager(value: str) -> bool:
    return arns.service_of(value) == "secretsmanager"


def _sm_value(txn: Txn, account: str, region: str, ref: SecretRef) -> str:
    got = secretsmanager.secret_value(txn, account, region, ref.arn, ref.stage, ref.version_id)
    if ref.json_key is None:
        return got
    try:
        doc = json.loads(got)
    except ValueError:
        raise SecretsError(f"{PREFIX}retrieved secret from Secrets Manager did not contain json key {ref.json_key}") from None
    if not isinstance(doc, dict) or ref.json_key not in doc:
        raise SecretsError(f"{PREFIX}retrieved secret from Secrets Manager did not contain json key {ref.json_key}")
    field = doc[ref.json_key]
    return field if isinstance(field, str) else json.dumps(field)


def _owner(value: str, account: str) -> str:
    a = arns.try_parse(value)
    return a.account if a is not None and a.account else account


def _denied(value: str) -> SecretsError:
    return SecretsError(f"{PREFIX}unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch "
                        f"secret {value} from secrets manager: AccessDeniedException: the task execution role is not "
                        f"authorized to perform secretsmanager:GetSecretValue on resource {value}")


def _may_read(txn: Txn, account: str, role: str | None, value: str) -> bool:
    """Whether the execution role of a task of `account` may read `value` (same account: yes;
    another account's secret: through its resource policy)."""
    if _owner(value, account) == account:
        return True
    if not role or not is_secretsmanager(value):
        return False
    text = secretsmanager.secret_policy(txn, parse_secret_ref(value).arn)
    if not text:
        return False
    try:
        policy = parse_policy(text, kind="resource")
    except PolicyError:
        return False
    name = role.rsplit("/", 1)[-1]
    who = Principal(arn=arns.sts_assumed_role(account, name, "ecs-task-execution"), account=account, kind="assumed-role", role_arn=role)
    return statement_decision(policy, AuthRequest(who, "secretsmanager:GetSecretValue", parse_secret_ref(value).arn)) is Decision.ALLOW


def resolve_txn(txn: Txn, account: str, region: str, containers: list[dict[str, Any]], role: str | None = None) -> dict[str, dict[str, str]]:
    """Each container's secret variables {container name: {variable: value}}."""
    out: dict[str, dict[str, str]] = {}
    for c in containers:
        env: dict[str, str] = {}
        for s in c.get("secrets") or []:
            value_from = str(s.get("valueFrom") or "")
            if not _may_read(txn, account, role, value_from):
                raise _denied(value_from)
            if is_secretsmanager(value_from):
                ref = parse_secret_ref(value_from)
                try:
                    env[s["name"]] = _sm_value(txn, account, region, ref)
                except AwsError as e:
                    raise SecretsError(
                        f"{PREFIX}unable to retrieve secret from asm: service call has been retried 1 time(s): "
                        f"failed to fetch secret {ref.arn} from secrets manager: {e.code}: {e.message} status code: {e.status}"
                    ) from None
            else:
                try:
                    where = arns.try_parse(value_from)  # a parameter ARN may name another Region
                    env[s["name"]] = ssm.parameter_value(txn, account, where.region if where and where.region else region, value_from)
                except AwsError:
                    raise SecretsError(f"{PREFIX}unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
                                       f"invalid ssm parameters: {value_from}") from None
        out[c["name"]] = env
    return out


def credentials_txn(txn: Txn, account: str, region: str, secret_arn: str, role: str | None = None) -> tuple[str, str]:
    """(username, password) of a `repositoryCredentials.credentialsParameter` secret."""
    if not _may_read(txn, account, role, secret_arn):
        raise _denied(secret_arn)
    try:
        doc = json.loads(secretsmanager.secret_value(txn, account, region, parse_secret_ref(secret_arn).arn, None, None))
    except AwsError as e:
        raise SecretsError(f"{PREFIX}unable to retrieve secret from asm: service call has been retried 1 time(s): "
                           f"failed to fetch secret {secret_arn} from secrets manager: {e.code}: {e.message} status code: {e.status}") from None
    except ValueError:
        raise SecretsError(f"{PREFIX}registry auth secret {secret_arn} is not JSON with username and password") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("username"), str) or not isinstance(doc.get("password"), str):
        raise SecretsError(f"{PREFIX}registry auth secret {secret_arn} is not JSON with username and password")
    return doc["username"], doc["password"]


async def resolve(store: Store, account: str, region: str, containers: list[dict[str, Any]], role: str | None) -> dict[str, dict[str, str]]:
    return await store.run(lambda t: resolve_txn(t, account, region, containers, role))


async def repository_credentials(store: Store, account: str, region: str, secret_arn: str, role: str | None) -> tuple[str, str]:
    return await store.run(lambda t: credentials_txn(t, account, region, secret_arn, role))
