"""The reset kit (gureum/reset.py) and packages' reset transactions on plain values and the
in-memory store: which packages a service list means and in what order, what each reset
drops, keeps and tells the caches (no gureum process)."""

from __future__ import annotations

import asyncio

import pytest

from gureum import reset as kit
from gureum.services.iam import model as iam_model
from gureum.services.iam import reset as iam_reset
from gureum.services.iam import sessions
from gureum.services.iam.model import Iam
from gureum.services.route53 import model as r53
from gureum.services.route53 import reset as r53_reset
from gureum.store.base import Event, Txn
from gureum.store.memory import MemoryStore

ACCOUNT = "000000000000"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def events(store: MemoryStore) -> list[Event]:
    return asyncio.run(store.events_since(0))


def test_every_served_service_can_be_reset_and_code_running_packages_go_first() -> None:
    names = [m.package for m in kit.plan(None)]
    assert set(kit.resettable()) >= {"lambda", "sqs", "sns", "s3", "route53", "ecr", "ecs", "logs", "iam", "sts", "servicediscovery"}
    assert names[:2] == ["lambda_", "ecs"] and names[-2:] == ["iam", "sts"]
    assert len(names) == len(set(names))


def test_a_service_list_is_parsed_deduplicated_and_checked() -> None:
    assert kit.parse_services(None) is None
    assert kit.parse_services(" SQS,lambda,sqs ") == ["sqs", "lambda"]
    assert [m.package for m in kit.plan(["sqs", "lambda"])] == ["lambda_", "sqs"]
    with pytest.raises(kit.UnknownService) as err:
        kit.parse_services("sqs,elbv2,nope,lex-models")
    assert err.value.names == ("nope", "lex-models")  # not services gureum serves: nothing to reset
    with pytest.raises(kit.UnknownService):
        kit.parse_services(",")


def test_drop_tables_empties_only_the_named_tables() -> None:
    store = MemoryStore()
    store.run_sync(lambda t: [t.put(tb, k, {}) for tb in ("a", "b", "c") for k in ("x", "y/z")])
    assert store.run_sync(lambda t: kit.drop_tables(t, ("a", "b"))) == 4
    assert store.read_sync(lambda t: [t.count(tb) for tb in ("a", "b", "c")]) == [0, 0, 2]


def test_route53_reset_drops_zones_and_tells_the_dns_servers_keeping_its_settings() -> None:
    store = MemoryStore()
    zone = store.run_sync(lambda t: r53.create_zone(t, ACCOUNT, "example.com", "ref", None, False, None, None))
    zid = r53.bare_id(zone["zone"]["Id"])
    store.run_sync(lambda t: t.put(r53.SETTINGS, "soa-serial", {"increment": False}))
    seen = len(events(store))
    store.run_sync(r53_reset.reset_txn)
    after = [e.data for e in events(store)[seen:]]
    assert {"kind": "zone-deleted", "zone_id": zid} in after
    assert store.read_sync(lambda t: [t.count(tb) for tb in r53_reset.TABLES]) == [0] * len(r53_reset.TABLES)
    assert store.read_sync(lambda t: t.get(r53.SETTINGS, "soa-serial")) == {"increment": False}
    # the same caller reference and name can be used again
    store.run_sync(lambda t: r53.create_zone(t, ACCOUNT, "example.com", "ref", None, False, None, None))


def test_iam_reset_keeps_root_credentials_and_drops_every_entity_key_and_session() -> None:
    store = MemoryStore()

    def make(t: Txn) -> tuple[str, str, str, str]:
        m = Iam(t, ACCOUNT)
        m.create_user("alice")
        user_key = m.create_access_key("alice")["AccessKeyId"]
        root_key = m.create_access_key(None)["AccessKeyId"]
        m.create_role("r", TRUST)
        root_session = sessions.session_token(t, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, 900, "root")
        user_session = sessions.session_token(t, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDA", 900, "user")
        return user_key, root_key, root_session["AccessKeyId"], user_session["AccessKeyId"]

    user_key, root_key, root_session, user_session = store.run_sync(make)
    seen = len(events(store))
    store.run_sync(iam_reset.reset_txn)
    published = [e.data for e in events(store)[seen:]]
    assert {"AccessKeyId": user_key} in published and {"AccessKeyId": user_session} in published
    assert {"Account": ACCOUNT} in published
    assert {"AccessKeyId": root_key} not in published

    def look(t: Txn) -> dict[str, object]:
        m = Iam(t, ACCOUNT)
        return {
            "keys": sorted(k for k, _ in t.scan(iam_model.KEYS)),
            "root keys": [rec["AccessKeyId"] for _, rec in m.list_access_keys(None)],
            "users": t.count(iam_model.USERS), "roles": t.count(iam_model.ROLES),
            "sessions": sorted(k for k, _ in t.scan(sessions.SESSIONS)),
        }

    assert store.read_sync(look) == {"keys": [root_key], "root keys": [root_key], "users": 0, "roles": 0, "sessions": [root_session]}
    store.run_sync(lambda t: Iam(t, ACCOUNT).create_user("alice"))
