"""SNS topics and subscriptions in the store, and message delivery: to SQS queues (through
gureum's SQS engine, before Publish returns), to http/https endpoints (confirmation
handshake, retries per the delivery policy, in the background), to Lambda through
`deliver_to_lambda` once Lambda offers it; email/sms subscriptions are stored only.

Tables: `sns_topics` (`<account>/<region>/<name>`), `sns_subs`
(`<account>/<region>/<topic name>/<subscription id>`).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from gureum.aws.errors import AwsError
from gureum.policy.delivery import may_deliver
from gureum.services.sns import filters

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

log = logging.getLogger("gureum.sns")

TOPICS = "sns_topics"
SUBS = "sns_subs"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
DEFAULT_HTTP_RETRY = {"numRetries": 3, "minDelayTarget": 20, "maxDelayTarget": 20, "numNoDelayRetries": 0,
                      "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}


def invalid_parameter(message: str) -> AwsError:
    return AwsError("InvalidParameter", message, 400)


def not_found(message: str = "Topic does not exist") -> AwsError:
    return AwsError("NotFound", message, 404)


def now_iso() -> str:
    t = dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_topic_arn(arn: str) -> tuple[str, str, str]:
    """(account, region, name) of a topic ARN; NotFound/InvalidParameter otherwise."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sns":
        raise invalid_parameter("Invalid parameter: TopicArn")
    return parts[4], parts[3], parts[5]


def topic_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


# -- topics ------------------------------------------------------------------------------------

def create_topic(t: Txn, account: str, region: str, name: str, attrs: dict[str, str],
                 tags: list[dict[str, str]]) -> dict[str, Any]:
    fifo = attrs.get("FifoTopic", "false").lower() == "true"
    base = name.removesuffix(".fifo")
    if not _NAME.fullmatch(base) or fifo != name.endswith(".fifo"):
        raise invalid_parameter("Invalid parameter: Topic Name")
    if "ContentBasedDeduplication" in attrs and not fifo:
        raise invalid_parameter("Invalid parameter: Attributes Reason: Content-based deduplication can only "
                                "be set for FIFO topics")
    key = topic_key(account, region, name)
    existing = t.get(TOPICS, key)
    arn = f"arn:aws:sns:{region}:{account}:{name}"
    if existing is not None:
        for k, v in attrs.items():
            if existing["attrs"].get(k, _default_attr(k)) != v:
                raise invalid_parameter("Invalid parameter: Attributes Reason: Topic already exists with "
                                        "different attributes")
        return existing
    doc = {"arn": arn, "name": name, "account": account, "region": region, "fifo": fifo,
           "attrs": {k: v for k, v in attrs.items()}, "tags": {x["Key"]: x["Value"] for x in tags}}
    if fifo:
        doc["attrs"]["FifoTopic"] = "true"
        doc["attrs"].setdefault("ContentBasedDeduplication", "false")
    t.put(TOPICS, key, doc)
    return doc


def _default_attr(name: str) -> str:
    return {"FifoTopic": "false", "ContentBasedDeduplication": "false"}.get(name, "")


def get_topic(t: Txn, arn: str) -> dict[str, Any]:
    account, region, name = parse_topic_arn(arn)
    doc = t.get(TOPICS, topic_key(account, region, name))
    if doc is None:
        raise not_found()
    return doc


def delete_topic(t: Txn, arn: str) -> None:
    account, region, name = parse_topic_arn(arn)
    key = topic_key(account, region, name)
    t.delete(TOPICS, key)
    t.delete_prefix(SUBS, key + "/")


def subscriptions(t: Txn, topic: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for _, d in t.scan(SUBS, topic_key(topic["account"], topic["region"], topic["name"]) + "/")]


async def topic_exists(app: App, arn: str) -> bool:
    try:
        await app.store.read(lambda t: get_topic(t, arn))
        return True
    except AwsError:
        return False


# -- subscriptions -----------------------------------------------------------------------------

def sub_key_from_arn(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) != 7 or parts[2] != "sns":
        raise invalid_parameter("Invalid parameter: SubscriptionArn")
    return f"{parts[4]}/{parts[3]}/{parts[5]}/{parts[6]}"


def get_sub(t: Txn, arn: str) -> dict[str, Any]:
    doc = t.get(SUBS, sub_key_from_arn(arn))
    if doc is None:
        raise not_found("Subscription does not exist")
    return doc


def put_sub(t: Txn, sub: dict[str, Any]) -> None:
    t.put(SUBS, sub_key_from_arn(sub["arn"]), sub)


SUB_ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
                  "SubscriptionRoleArn", "ReplayPolicy")


def check_sub_attribute(sub: dict[str, Any], name: str, value: str) -> str:
    if name not in SUB_ATTRIBUTES:
        raise invalid_parameter("Invalid parameter: AttributeName")
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise invalid_parameter("Invalid parameter: RawMessageDelivery")
        if sub["protocol"] not in ("sqs", "http", "https", "firehose"):
            raise invalid_parameter(f"Invalid parameter: Attributes Reason: Delivery protocol "
                                    f"[{sub['protocol']}] does not support raw message delivery.")
        return value.lower()
    if name == "FilterPolicy" and value:
        try:
            filters.parse(value)
        except filters.FilterPolicyError as exc:
            raise invalid_parameter(f"Invalid parameter: {exc}") from None
    if name == "FilterPolicyScope" and value not in ("MessageAttributes", "MessageBody"):
        raise invalid_parameter("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value "
                                f"[{value}]. Please use either MessageBody or MessageAttributes")
    if name in ("DeliveryPolicy", "RedrivePolicy") and value:
        try:
            json.loads(value)
        except ValueError:
            raise invalid_parameter(f"Invalid parameter: {name}: failed to parse JSON.") from None
    return value


def subscribe(t: Txn, topic: dict[str, Any], protocol: str, endpoint: str, attrs: dict[str, str],
              owner: str) -> tuple[dict[str, Any], bool]:
    """The subscription (existing for the same protocol+endpoint) and whether it is new."""
    for s in subscriptions(t, topic):
        if s["protocol"] == protocol and s["endpoint"] == endpoint:
            for k, v in attrs.items():
                if s["attrs"].get(k, "") != v:
                    raise invalid_parameter("Invalid parameter: Attributes Reason: Subscription already exists "
                                            "with different attributes")
            return s, False
    sub = {"arn": f"{topic['arn']}:{uuid.uuid4()}", "topic": topic["arn"], "protocol": protocol,
           "endpoint": endpoint, "owner": owner, "attrs": {}, "token": secrets.token_hex(64),
           "pending": protocol in ("http", "https", "email", "email-json", "sms")}
    for k, v in attrs.items():
        sub["attrs"][k] = check_sub_attribute(sub, k, v)
    if protocol == "sqs" and topic["fifo"] and not endpoint.endswith(".fifo"):
        raise invalid_parameter("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SNS Topics currently"
                                " only support FIFO SQS queues as subscribers.")
    put_sub(t, sub)
    return sub, True


# -- publishing --------------------------------------------------------------------------------

def envelope(topic: dict[str, Any], sub: dict[str, Any] | None, message_id: str, message: str,
             subject: str | None, attrs: dict[str, dict[str, Any]], base_url: str,
             seq: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic["arn"]}
    if seq is not None:
        doc["SequenceNumber"] = seq
    if subject:
        doc["Subject"] = subject
    doc.update({
        "Message": message,
        "Timestamp": now_iso(),
        "SignatureVersion": "1",
        "Signature": base64.b64encode(secrets.token_bytes(256)).decode(),
        "SigningCertURL": f"{base_url}/_gureum/sns/SimpleNotificationService.pem",
        "UnsubscribeURL": f"{base_url}/?Action=Unsubscribe&SubscriptionArn={quote(sub['arn'], safe='') if sub else ''}",
    })
    if attrs:
        doc["MessageAttributes"] = {
            k: {"Type": v["DataType"], "Value": v["StringValue"] if v.get("StringValue") is not None
                else base64.b64encode(v.get("BinaryValue") or b"").decode()}
            for k, v in attrs.items()}
    return doc


def _message_for(protocol: str, message: str, structure: str | None) -> str:
    if structure != "json":
        return message
    doc = json.loads(message)
    value = doc.get(protocol, doc["default"])
    return value if isinstance(value, str) else json.dumps(value)


def _filter_ok(sub: dict[str, Any], message: str, attrs: dict[str, dict[str, Any]]) -> bool:
    text = sub["attrs"].get("FilterPolicy")
    if not text:
        return True
    policy = json.loads(text)
    if sub["attrs"].get("FilterPolicyScope") == "MessageBody":
        try:
            body = json.loads(message)
        except ValueError:
            return False
        return isinstance(body, dict) and filters.matches(policy, body)
    return filters.matches(policy, filters.attributes_view(attrs))


async def publish(app: App, topic: dict[str, Any], message: str, *, subject: str | None = None,
                  attrs: dict[str, dict[str, Any]] | None = None, structure: str | None = None,
                  group: str | None = None, dedup: str | None = None, base_url: str = "") -> dict[str, Any]:
    """Deliver one message to every confirmed subscription whose filter matches; SQS
    deliveries are done when this returns, the others run in the background."""
    attrs = attrs or {}
    message_id = str(uuid.uuid4())
    subs = await app.store.read(lambda t: subscriptions(t, topic))
    seq = None
    if topic["fifo"]:
        seq = f"{int(dt.datetime.now().timestamp() * 1e6):020d}"
    base_url = base_url or _base_url(app)
    for sub in subs:
        if sub.get("pending"):
            continue
        try:
            text = _message_for(sub["protocol"], message, structure)
        except (ValueError, KeyError):
            text = message
        if not _filter_ok(sub, text, attrs):
            continue
        raw = sub["attrs"].get("RawMessageDelivery") == "true"
        env = envelope(topic, sub, message_id, text, subject, attrs, base_url, seq)
        if sub["protocol"] in ("sqs", "lambda") and not await may_deliver(
                app, "sns.amazonaws.com", "sqs:SendMessage" if sub["protocol"] == "sqs" else "lambda:InvokeFunction",
                sub["endpoint"], source_arn=topic["arn"], source_account=topic["account"]):
            log.warning("SNS delivery to %s refused: its policy does not allow this topic", sub["endpoint"])
            continue
        if sub["protocol"] == "sqs":
            await _to_sqs(app, sub, env, text, attrs, raw, group, dedup or message_id)
        elif sub["protocol"] in ("http", "https"):
            from gureum.services.sns import delivery

            await delivery.schedule(app, sub, "Notification", message_id, text if raw else json.dumps(env))
        elif sub["protocol"] == "lambda":
            from gureum.services.sns.lambda_hook import deliver_to_lambda

            sns_doc = {k: v for k, v in env.items() if k != "MessageAttributes"}
            sns_doc["MessageAttributes"] = env.get("MessageAttributes") or {}
            event = {"Records": [{"EventVersion": "1.0", "EventSubscriptionArn": sub["arn"],
                                  "EventSource": "aws:sns", "Sns": sns_doc}]}
            app.spawn(deliver_to_lambda(app, sub["endpoint"], event), "sns lambda delivery")
    out = {"MessageId": message_id}
    if seq is not None:
        out["SequenceNumber"] = seq
    return out


async def _to_sqs(app: App, sub: dict[str, Any], env: dict[str, Any], text: str,
                  attrs: dict[str, dict[str, Any]], raw: bool, group: str | None, dedup: str) -> None:
    from gureum.services.sqs.engine import Engine

    eng = await Engine.of(app)
    sqs_attrs = None
    if raw and attrs:
        sqs_attrs = {k: {kk: vv for kk, vv in v.items() if kk in ("DataType", "StringValue", "BinaryValue")}
                     for k, v in list(attrs.items())[:10]}
    body = text if raw else json.dumps(env)
    try:
        sent = await eng.send_to_arn(sub["endpoint"], body, sqs_attrs, group=group, dedup=dedup,
                                         sender="AIDASNSDELIVERY")
    except AwsError as exc:
        log.warning("SNS delivery to %s failed: %s", sub["endpoint"], exc)
        sent = None
    if sent is None:
        log.warning("SNS delivery to %s failed", sub["endpoint"])
        await to_dead_letter_queue(app, sub, body)


def _base_url(app: App) -> str:
    from gureum.public import public_url

    return public_url(app)


async def publish_internal(app: App, topic_arn: str, message: str, subject: str | None = None) -> None:
    """Publish from another service (S3 notifications)."""
    try:
        topic = await app.store.read(lambda t: get_topic(t, topic_arn))
    except AwsError:
        log.warning("publish to missing topic %s dropped", topic_arn)
        return
    await publish(app, topic, message, subject=subject,
                  group="s3" if topic["fifo"] else None, dedup=str(uuid.uuid4()) if topic["fifo"] else None)


# -- http/https --------------------------------------------------------------------------------

def confirmation_body(topic_arn: str, sub: dict[str, Any], base_url: str) -> str:
    url = (f"{base_url}/?Action=ConfirmSubscription&Version=2010-03-31&TopicArn={quote(topic_arn, safe='')}"
           f"&Token={sub['token']}")
    return json.dumps({
        "Type": "SubscriptionConfirmation", "MessageId": str(uuid.uuid4()), "Token": sub["token"],
        "TopicArn": topic_arn,
        "Message": f"You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, "
                   "visit the SubscribeURL included in this message.",
        "SubscribeURL": url, "Timestamp": now_iso(), "SignatureVersion": "1",
        "Signature": base64.b64encode(secrets.token_bytes(256)).decode(),
        "SigningCertURL": f"{base_url}/_gureum/sns/SimpleNotificationService.pem",
    })


def retry_policy(sub: dict[str, Any]) -> dict[str, Any]:
    text = sub["attrs"].get("DeliveryPolicy")
    policy = dict(DEFAULT_HTTP_RETRY)
    if text:
        try:
            doc = json.loads(text)
            policy.update(doc.get("healthyRetryPolicy") or {})
        except ValueError:
            pass
    return policy


async def post_once(sub: dict[str, Any], kind: str, message_id: str, body: str) -> tuple[bool, bool]:
    """One POST to the endpoint: (delivered, permanent failure). 2xx delivers; other 4xx
    than 429 are permanent; 5xx, 429 and connection failures are retried by the caller."""
    headers = {
        "x-amz-sns-message-type": kind,
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": sub["topic"],
        "Content-Type": "text/plain; charset=UTF-8",
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if kind != "SubscriptionConfirmation":
        headers["x-amz-sns-subscription-arn"] = sub["arn"]
    if sub["attrs"].get("RawMessageDelivery") == "true":
        headers["x-amz-sns-rawdelivery"] = "true"
    try:
        status = await http_post(sub["endpoint"], headers, body.encode())
    except (TimeoutError, OSError, ValueError) as exc:
        log.info("SNS http delivery to %s failed: %s", sub["endpoint"], exc)
        return False, False
    if 200 <= status < 300:
        return True, False
    if 400 <= status < 500 and status != 429:
        log.warning("SNS http delivery to %s refused with %d: not retried", sub["endpoint"], status)
        return False, True
    return False, False


async def to_dead_letter_queue(app: App, sub: dict[str, Any], body: str) -> None:
    """An undeliverable message goes to the subscription's dead-letter queue, if it has one."""
    if sub.get("pending"):
        return
    try:
        target = json.loads(sub["attrs"].get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
    except ValueError:
        target = None
    if not target:
        return
    from gureum.services.sqs.engine import Engine

    eng = await Engine.of(app)
    q = eng.by_arn(target)
    if q is None:
        log.warning("SNS dead-letter queue %s does not exist", target)
        return
    topic_arn = sub["arn"].rsplit(":", 1)[0]
    if not await may_deliver(app, "sns.amazonaws.com", "sqs:SendMessage", target, source_arn=topic_arn,
                             source_account=parse_topic_arn(topic_arn)[0]):
        log.warning("SNS dead-letter queue %s refused: its policy does not allow this topic", target)
        return
    await eng.send_to_arn(target, body, group="sns-dlq" if q.fifo else None,
                          dedup=str(uuid.uuid4()) if q.fifo else None, sender="AIDASNSDELIVERY")


async def http_post(url: str, headers: dict[str, str], body: bytes, timeout: float = 15.0) -> int:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"bad endpoint {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    ssl_ctx = None
    if parts.scheme == "https":
        import ssl

        ssl_ctx = ssl.create_default_context()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    async def go() -> int:
        reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=ssl_ctx)
        try:
            host = parts.netloc.rsplit("@", 1)[-1]
            head = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", "Connection: close"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readline()
            fields = status_line.decode("latin-1").split()
            if len(fields) < 2 or not fields[1].isdigit():
                raise ValueError("malformed HTTP response")
            return int(fields[1])
        finally:
            writer.close()

    return await asyncio.wait_for(go(), timeout)
