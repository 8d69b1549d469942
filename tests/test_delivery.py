"""gureum/delivery.py's `deliver` on real parts, without a gureum process: an App on the
in-memory store, SQS's queue engine, SNS's topics and Lambda's durable event queue, reached
only through their ports (gureum/ports.py) as the manifests name them."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gureum.app import App
from gureum.aws.errors import AwsError
from gureum.config import Config
from gureum.delivery import Source, Undeliverable, deliver, target_service
from gureum.ports import QUEUES, TOPICS, port
from gureum.services.lambda_ import async_queue
from gureum.services.lambda_ import model as lambda_model
from gureum.services.sns import topics
from gureum.services.sqs.engine import Engine
from gureum.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"
T = TypeVar("T")


def run(app_dir: Path, body: Callable[[App], Awaitable[T]]) -> T:
    async def go() -> T:
        app = App(Config(data_dir=app_dir))
        app.store = MemoryStore()
        try:
            return await body(app)
        finally:
            await app.store.close()

    return asyncio.run(go())


async def _queue(app: App, name: str, **attrs: str) -> str:
    q = await (await Engine.of(app)).create(ACCOUNT, REGION, name, dict(attrs), {})
    return q.arn


async def _received(app: App, arn: str) -> list[dict[str, Any]]:
    return await port(app, QUEUES).receive_records(arn, 10, 0)


def test_target_service_is_the_arns_third_field_and_anything_else_is_undeliverable() -> None:
    assert target_service("arn:aws:sqs:us-east-1:000000000000:q") == "sqs"
    assert target_service("arn:aws:lambda:us-east-1:000000000000:function:f:live") == "lambda"
    for bad in ("", "q", "arn:aws", "arn:aws::us-east-1:1:x", "urn:aws:sqs:us-east-1:1:q"):
        with pytest.raises(Undeliverable):
            target_service(bad)


def test_a_json_payload_reaches_a_queue_compact_with_the_sources_sender(tmp_path: Path) -> None:
    async def body(app: App) -> list[dict[str, Any]]:
        arn = await _queue(app, "inbox")
        message_id = await deliver(app, arn, {"a": [1, 2]}, source=Source(sender="AIDATEST"))
        got = await _received(app, arn)
        assert [r["messageId"] for r in got] == [message_id]
        return got

    got = run(tmp_path, body)
    assert got[0]["body"] == '{"a":[1,2]}'
    assert got[0]["attributes"]["SenderId"] == "AIDATEST"


def test_a_fifo_queue_gets_the_sources_group_when_the_delivery_names_none(tmp_path: Path) -> None:
    async def body(app: App) -> list[dict[str, Any]]:
        arn = await _queue(app, "inbox.fifo", FifoQueue="true")
        await deliver(app, arn, "one", source=Source(group="g1"))
        await deliver(app, arn, "two", source=Source(group="g1"), group="g2")
        return await _received(app, arn)

    got = run(tmp_path, body)
    assert sorted((r["body"], r["attributes"]["MessageGroupId"]) for r in got) == [("one", "g1"), ("two", "g2")]


def test_a_topic_fans_out_to_its_queue_subscriber_with_the_sources_subject(tmp_path: Path) -> None:
    async def body(app: App) -> list[dict[str, Any]]:
        queue = await _queue(app, "sub")

        def setup(t: Any) -> str:
            topic = topics.create_topic(t, ACCOUNT, REGION, "news", {}, [])
            sub, _ = topics.subscribe(t, topic, "sqs", queue, {}, ACCOUNT)
            return str(topic["arn"])

        topic_arn = await app.store.run(setup)
        assert await port(app, TOPICS).exists(topic_arn)
        await deliver(app, topic_arn, "hello", source=Source(subject="Greeting"))
        return await _received(app, queue)

    got = run(tmp_path, body)
    envelope = json.loads(got[0]["body"])
    assert (envelope["Type"], envelope["Message"], envelope["Subject"]) == ("Notification", "hello", "Greeting")


def test_a_function_gets_an_event_in_lambdas_durable_queue(tmp_path: Path) -> None:
    async def body(app: App) -> tuple[str, list[dict[str, Any]]]:
        key = lambda_model.fn_key(ACCOUNT, REGION, "worker")
        await app.store.run(lambda t: t.put(lambda_model.FUNCTIONS, key, {"config": {"FunctionName": "worker"}}))
        arn = lambda_model.function_arn(ACCOUNT, REGION, "worker", "live")
        request_id = await deliver(app, arn, {"Records": []})
        rows = await app.store.read(lambda t: t.scan(async_queue.EVENTS, ""))
        return request_id, [row for _, row in rows]

    request_id, rows = run(tmp_path, body)
    assert [(r["request_id"], r["function"], r["qualifier"]) for r in rows] == [(request_id, "worker", "live")]
    assert json.loads(base64.b64decode(rows[0]["payload"])) == {"Records": []}


@pytest.mark.parametrize(("arn", "code"), [
    ("arn:aws:sqs:us-east-1:000000000000:nowhere", "QueueDoesNotExist"),
    ("arn:aws:sns:us-east-1:000000000000:nowhere", "NotFound"),
    ("arn:aws:lambda:us-east-1:000000000000:function:nowhere", "ResourceNotFoundException"),
    ("arn:aws:lambda:us-east-1:000000000000:layer:nowhere", "ResourceNotFoundException"),
    ("arn:aws:events:us-east-1:000000000000:event-bus/default", "InvalidParameterValue"),
])
def test_a_missing_or_unsupported_target_raises_its_services_error(tmp_path: Path, arn: str, code: str) -> None:
    async def body(app: App) -> AwsError:
        with pytest.raises(AwsError) as info:
            await deliver(app, arn, "x")
        return info.value

    assert run(tmp_path, body).code == code
