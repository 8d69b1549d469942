"""Unit tests of the in-process identity interface (lookup.py) and temporary credentials
(sessions.py), on the in-memory store."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from gureum.aws.errors import AwsError
from gureum.services.iam import ids, lookup, sessions, trust
from gureum.services.iam.model import Iam
from gureum.store.memory import MemoryStore


@contextmanager
def raises(code: str, match: str | None = None) -> Iterator[pytest.ExceptionInfo[AwsError]]:
    """pytest.raises for the modeled AWS error `code`."""
    with pytest.raises(AwsError, match=match) as e:
        yield e
    assert e.value.code == code


ACCT = "123456789012"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
ROLE_ARN = f"arn:aws:iam::{ACCT}:role/svc/runner"
LAMBDA = trust.service_principal("lambda.amazonaws.com")


class FakeApp:
    def __init__(self) -> None:
        self.store = MemoryStore()


@pytest.fixture
def app() -> FakeApp:
    app = FakeApp()
    app.store.run_sync(lambda t: Iam(t, ACCT).create_role("runner", TRUST, "/svc/", max_session=7200))
    return app


def test_unknown_and_non_iam_keys_resolve_to_none(app):
    for key in ("test", "123456789012", "AKIAAAAAAAAAAAAAAAAA", "ASIAAAAAAAAAAAAAAAAA"):
        assert asyncio.run(lookup.resolve_access_key(app, key)) is None


def test_user_key_resolves_to_the_user_and_follows_status(app):
    def setup(t):
        m = Iam(t, ACCT)
        m.create_user("alice", "/eng/")
        return m.create_access_key("alice")

    key = app.store.run_sync(setup)

    async def scenario():
        p = await lookup.resolve_access_key(app, key["AccessKeyId"])
        assert p == lookup.Principal(ACCT, f"arn:aws:iam::{ACCT}:user/eng/alice", p.user_id, key["SecretAccessKey"])
        assert p.user_id.startswith("AIDA") and p.session_token is None and p.expires_at is None and p.active
        await app.store.run(lambda t: Iam(t, ACCT).update_access_key(key["AccessKeyId"], "Inactive", "alice"))
        # the change event drops the cached entry at once
        assert (await lookup.resolve_access_key(app, key["AccessKeyId"])).active is False
        await app.store.run(lambda t: Iam(t, ACCT).delete_access_key(key["AccessKeyId"], "alice"))
        assert await lookup.resolve_access_key(app, key["AccessKeyId"]) is None

    asyncio.run(scenario())


def test_root_key_created_through_iam_resolves_to_the_account_root(app):
    key = app.store.run_sync(lambda t: Iam(t, ACCT).create_access_key(None))
    p = asyncio.run(lookup.resolve_access_key(app, key["AccessKeyId"]))
    assert (p.account_id, p.arn, p.user_id) == (ACCT, f"arn:aws:iam::{ACCT}:root", ACCT)


def test_assume_role_credentials_resolve_to_the_assumed_role(app):
    async def scenario():
        before = ids.now()
        creds = await lookup.assume_role_credentials(app, ACCT, ROLE_ARN, "fn-session", 900)
        after = ids.now()
        assert set(creds) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
        assert re.fullmatch(r"ASIA[A-Z2-7]{16}", creds["AccessKeyId"])
        assert before <= creds["Expiration"] - timedelta(seconds=900) <= after  # issued during the call
        p = await lookup.resolve_access_key(app, creds["AccessKeyId"])
        assert p.arn == f"arn:aws:sts::{ACCT}:assumed-role/runner/fn-session"
        assert p.user_id.startswith("AROA") and p.user_id.endswith(":fn-session")
        assert p.session_token == creds["SessionToken"] and p.expires_at == creds["Expiration"]
        assert not p.expired

    asyncio.run(scenario())


def test_assume_role_errors_as_sts_does(app):
    async def scenario():
        with raises("AccessDenied") as err:
            await lookup.assume_role_credentials(app, ACCT, f"arn:aws:iam::{ACCT}:role/nope", "s")
        assert err.value.status == 403 and "sts:AssumeRole on resource" in err.value.message
        with raises("ValidationError", match="exceeds the MaxSessionDuration"):
            await lookup.assume_role_credentials(app, ACCT, ROLE_ARN, "s", 7201)
        # the role trusts lambda.amazonaws.com only: ECS's service principal is refused
        with raises("AccessDenied") as err:
            await lookup.assume_role_credentials(app, ACCT, ROLE_ARN, "s", service="ecs-tasks.amazonaws.com")
        assert err.value.message == (
            f"User: ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole on resource: {ROLE_ARN}")

    asyncio.run(scenario())


def test_role_chaining_is_limited_to_an_hour(app):
    with raises("ValidationError", match="role chaining"):
        app.store.run_sync(
            lambda t: sessions.assume_role(t, ROLE_ARN, "s", 3601, principal=LAMBDA, chained=True)
        )


def test_assume_role_records_role_last_used(app):
    app.store.run_sync(lambda t: sessions.assume_role(t, ROLE_ARN, "s", None, principal=LAMBDA, region="eu-west-1"))
    role = asyncio.run(lookup.get_role(app, ACCT, ROLE_ARN))
    assert role["RoleLastUsed"]["Region"] == "eu-west-1"
    assert role["AssumeRolePolicyDocument"] == TRUST  # verbatim, not URL-encoded
    assert asyncio.run(lookup.get_role(app, ACCT, f"arn:aws:iam::{ACCT}:role/runner")) is None
    assert asyncio.run(lookup.get_role(app, "210987654321", ROLE_ARN)) is None


def test_expired_credentials_are_purged_after_a_day(app):
    old = app.store.run_sync(lambda t: sessions.session_token(t, ACCT, "arn", ACCT, 900, ""))

    def age(t):  # pretend it expired two days ago
        rec = t.get(sessions.SESSIONS, old["AccessKeyId"])
        t.delete(sessions.EXPIRY, f"{rec['Expiration']}/{old['AccessKeyId']}")
        rec["Expiration"] = ids.iso(ids.now() - timedelta(days=2))
        t.put(sessions.SESSIONS, old["AccessKeyId"], rec)
        t.put(sessions.EXPIRY, f"{rec['Expiration']}/{old['AccessKeyId']}", {})

    app.store.run_sync(age)
    p = asyncio.run(lookup.resolve_access_key(app, old["AccessKeyId"]))
    assert p is not None and p.expired
    app.store.run_sync(lambda t: sessions.session_token(t, ACCT, "arn", ACCT, 900, ""))
    assert app.store.run_sync(lambda t: sessions.get(t, old["AccessKeyId"])) is None


def test_key_use_is_recorded_for_get_access_key_last_used(app):
    def setup(t):
        m = Iam(t, ACCT)
        m.create_user("u")
        return m.create_access_key("u")["AccessKeyId"]

    key = app.store.run_sync(setup)
    asyncio.run(lookup.note_access_key_used(app, key, "s3", "eu-west-1"))
    last = app.store.run_sync(lambda t: Iam(t, ACCT).access_key_last_used(key))["LastUsed"]
    assert (last["ServiceName"], last["Region"]) == ("s3", "eu-west-1")
    asyncio.run(lookup.note_access_key_used(app, "test", "s3", "eu-west-1"))  # not an IAM key: ignored


@pytest.mark.parametrize(
    "statement, trusted",
    [
        ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, True),
        ({"Effect": "Allow", "Principal": {"Service": ["ecs-tasks.amazonaws.com", "lambda.amazonaws.com"]},
          "Action": ["sts:AssumeRole", "sts:TagSession"]}, True),
        ({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}, True),
        ({"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
        ({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
        ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
         False),
    ],
)
def test_role_trusts_service(statement, trusted):
    import json

    role = {"AssumeRolePolicyDocument": json.dumps({"Version": "2012-10-17", "Statement": [statement]})}
    assert lookup.role_trusts_service(role, "lambda.amazonaws.com") is trusted
