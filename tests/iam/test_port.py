"""IAM's port functions that run in the caller's transaction (iam/port.py), on the in-memory
store: a role assumed by a service principal its trust policy names (and refused for one it
does not), and an account root's session credentials; both resolve back to their identity."""

from __future__ import annotations

from datetime import datetime

import pytest

from gureum.aws.errors import AwsError
from gureum.services.iam import lookup
from gureum.services.iam import port as iam
from gureum.services.iam.model import Iam
from gureum.store.memory import MemoryStore

ACCT = "123456789012"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/task"


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore()
    store.run_sync(lambda t: Iam(t, ACCT).create_role("task", TRUST))
    return store


def test_a_service_the_trust_policy_names_gets_the_roles_credentials(store: MemoryStore) -> None:
    creds = store.run_sync(lambda t: iam.service_role_credentials(
        t, ROLE_ARN, "task-1", 900, service="ecs-tasks.amazonaws.com", region="eu-west-1", source="ecs-tasks"))
    assert set(creds) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert creds["AccessKeyId"].startswith("ASIA") and isinstance(creds["Expiration"], datetime)
    who = store.read_sync(lambda t: lookup.principal_for(t, creds["AccessKeyId"]))
    assert who is not None and who.arn == f"arn:aws:sts::{ACCT}:assumed-role/task/task-1"


def test_a_service_the_trust_policy_does_not_name_is_refused(store: MemoryStore) -> None:
    with pytest.raises(AwsError) as exc:
        store.run_sync(lambda t: iam.service_role_credentials(t, ROLE_ARN, "x", 900, service="lambda.amazonaws.com"))
    assert exc.value.code == "AccessDenied"


def test_root_session_credentials_carry_the_accounts_root(store: MemoryStore) -> None:
    creds = store.run_sync(lambda t: iam.root_session_credentials(t, ACCT, 900, "ecs-agent"))
    who = store.read_sync(lambda t: lookup.principal_for(t, creds["AccessKeyId"]))
    assert who is not None and (who.account_id, who.arn) == (ACCT, f"arn:aws:iam::{ACCT}:root")
