"""SNS topics and subscriptions in the store, and message delivery: to SQS queues (before
Publish returns) and Lambda functions (as Event invocations, in the background) through
gureum/delivery.py's `deliver`, to http/https endpoints (confirmation handshake, retries per
the delivery policy, in the background), to platform endpoints and phone numbers (recorded as
delivered, devices.py); email subscriptions are stored only.

Tables: `sns_topics` (`<account>/<region>/<name>`), `sns_subs`
(`<account>/<region>/<topic name>/<subscription id>`), `sns_unsubscribed`
(`<account>/<region>/<topic name>/<token>`: an http(s) subscription as it was when
unsubscribed; the UnsubscribeConfirmation sent to its endpoint carries the token, and
confirming it restores the subscription, as AWS's "To cancel this operation" does).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import json
import logging
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.delivery import deliver
from gureum.policy.delivery import may_deliver
from gureum.services.sns import app_events, delivery, devices, endpoints, filters, params, signing
from gureum.services.sns.redrive import SNS_DELIVERY, to_dead_letter_queue
from gureum.services.sns.settings import SnsSettings

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.sns.signing import Signer
    from gureum.store.base import Txn

log = logging.getLogger("gureum.sns")

TOPICS = "sns_topics"
MAX_RAW_SQS_ATTRIBUTES = 10
SUBS = "sns_subs"
UNSUBSCRIBED = "sns_unsubscribed"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")


def now_iso() -> str:
    t = dt.datetime.now(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_topic_arn(arn: str, region: str | None = None, param: str = "TopicArn") -> tuple[str, str, str]:
    """(account, region, name) of a topic ARN; InvalidParameter in AWS's words otherwise
    (params.py); `region` (the request's) refuses a topic of another region."""
    return params.topic(arn, region, param)


def topic_key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


# -- topics ------------------------------------------------------------------------------------

def create_topic(t: Txn, account: str, region: str, name: str, attrs: dict[str, str],
                 tags: list[dict[str, str]]) -> dict[str, Any]:
    fifo = attrs.get("FifoTopic", "false").lower() == "true"
    base = name.removesuffix(".fifo")
    if not _NAME.fullmatch(base) or fifo != name.endswith(".fifo"):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Topic Name")
    if "ContentBasedDeduplication" in attrs and not fifo:
        raise AwsError.modeled(
            "sns",
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics",
        )
    key = topic_key(account, region, name)
    existing = t.get(TOPICS, key)
    arn = arns.sns_topic(region, account, name)
    if existing is not None:
        for k, v in attrs.items():
            if existing["attrs"].get(k, _default_attr(k)) != v:
                raise AwsError.modeled(
                    "sns",
                    "InvalidParameter",
                    "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
                )
        if any(existing.get("tags", {}).get(x["Key"]) != x["Value"] for x in tags):
            raise AwsError.modeled(
                "sns", "InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags"
            )
        return existing
    doc: dict[str, Any] = {"arn": arn, "name": name, "account": account, "region": region, "fifo": fifo,
           "attrs": {k: v for k, v in attrs.items()}, "tags": {x["Key"]: x["Value"] for x in tags}}
    if fifo:
        doc["attrs"]["FifoTopic"] = "true"
        doc["attrs"].setdefault("ContentBasedDeduplication", "false")
    t.put(TOPICS, key, doc)
    return doc


def _default_attr(name: str) -> str:
    return {"FifoTopic": "false", "ContentBasedDeduplication": "false"}.get(name, "")


def get_topic(t: Txn, arn: str, region: str | None = None, param: str = "TopicArn") -> dict[str, Any]:
    account, region, name = parse_topic_arn(arn, region, param)
    doc = t.get(TOPICS, topic_key(account, region, name))
    if doc is None:
        raise AwsError.modeled("sns", "NotFound", "Topic does not exist")
    return doc


def delete_topic(t: Txn, arn: str, region: str | None = None) -> None:
    """Deletes the topic and its subscriptions; a topic that does not exist is no error."""
    account, region, name = parse_topic_arn(arn, region)
    key = topic_key(account, region, name)
    t.delete(TOPICS, key)
    t.delete_prefix(SUBS, key + "/")
    t.delete_prefix(UNSUBSCRIBED, key + "/")


def unsubscribe(t: Txn, arn: str, region: str) -> dict[str, Any] | None:
    """Delete the subscription (one that does not exist is no error); a confirmed http(s)
    one is kept restorable under a new token and returned, to be told of it."""
    key = sub_key_from_arn(arn, region)
    doc = t.get(SUBS, key)
    if doc is None:
        return None
    t.delete(SUBS, key)
    if doc["protocol"] not in ("http", "https") or doc.get("pending"):
        return None
    doc = dict(doc, token=secrets.token_hex(64))
    account, region_, topic_name = parse_topic_arn(doc["topic"])
    t.put(UNSUBSCRIBED, f"{topic_key(account, region_, topic_name)}/{doc['token']}", doc)
    return doc


def restore(t: Txn, topic: dict[str, Any], token: str) -> dict[str, Any] | None:
    """The subscription an UnsubscribeConfirmation's token restores, restored; else None."""
    key = f"{topic_key(topic['account'], topic['region'], topic['name'])}/{token}"
    doc = t.get(UNSUBSCRIBED, key)
    if doc is None:
        return None
    t.delete(UNSUBSCRIBED, key)
    put_sub(t, doc)
    return doc


def subscriptions(t: Txn, topic: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for _, d in t.scan(SUBS, topic_key(topic["account"], topic["region"], topic["name"]) + "/")]


# -- subscriptions -----------------------------------------------------------------------------

def sub_key_from_arn(arn: str, region: str | None = None) -> str:
    account, region, topic, sub_id = params.subscription(arn, region)
    return f"{account}/{region}/{topic}/{sub_id}"


def get_sub(t: Txn, arn: str, region: str | None = None) -> dict[str, Any]:
    doc = t.get(SUBS, sub_key_from_arn(arn, region))
    if doc is None:
        raise AwsError.modeled("sns", "NotFound", "Subscription does not exist")
    return doc


def put_sub(t: Txn, sub: dict[str, Any]) -> None:
    t.put(SUBS, sub_key_from_arn(sub["arn"]), sub)


SUB_ATTRIBUTES = ("DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy",
                  "SubscriptionRoleArn", "ReplayPolicy")


SET = "Invalid parameter: "
SUBSCRIBE = "Invalid parameter: Attributes Reason: "


def check_sub_attribute(sub: dict[str, Any], name: str, value: str, *, prefix: str = SET,
                        scope: str | None = None) -> str:
    """`value` as stored for attribute `name`, or InvalidParameter in AWS's words: `prefix` is
    SET (SetSubscriptionAttributes) or SUBSCRIBE (Subscribe's Attributes); `scope` the
    FilterPolicyScope the policy will have (the subscription's when None)."""
    if name not in SUB_ATTRIBUTES:
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: AttributeName")

    def bad(reason: str) -> AwsError:
        return AwsError.modeled("sns", "InvalidParameter", prefix + reason)

    scope = scope or sub["attrs"].get("FilterPolicyScope") or "MessageAttributes"
    if name == "RawMessageDelivery":
        if value.lower() not in ("true", "false"):
            raise bad(f"RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        if sub["protocol"] not in ("sqs", "http", "https", "firehose"):
            raise AwsError.modeled(
                "sns",
                "InvalidParameter",
                f"Invalid parameter: Attributes Reason: Delivery protocol "
                f"[{sub['protocol']}] does not support raw message delivery.",
            )
        return value.lower()
    if name == "FilterPolicy" and value:
        try:
            policy = filters.parse(value)
        except filters.FilterPolicyError as exc:
            raise bad(str(exc)) from None
        if scope == "MessageAttributes" and filters.is_nested(policy):
            raise bad("Filter policy scope MessageAttributes does not support nested filter policy")
    if name == "FilterPolicyScope":
        if value not in ("MessageAttributes", "MessageBody"):
            raise bad(f"FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes")
        current = sub["attrs"].get("FilterPolicy")
        if value == "MessageAttributes" and current and filters.is_nested(json.loads(current)):
            raise bad("Filter policy scope MessageAttributes does not support nested filter policy")
    if name in ("DeliveryPolicy", "RedrivePolicy") and value:
        try:
            doc = json.loads(value)
        except ValueError:
            raise bad(f"{name}: failed to parse JSON.") from None
        if name == "RedrivePolicy":
            _check_redrive(sub, doc, bad)
    return value


def _check_redrive(sub: dict[str, Any], doc: Any, bad: Any) -> None:
    target = doc.get("deadLetterTargetArn") if isinstance(doc, dict) else None
    if not isinstance(target, str) or arns.service_of(target) != "sqs":
        raise bad("RedrivePolicy: deadLetterTargetArn is an invalid arn")
    if sub["topic"].endswith(".fifo") and sub["endpoint"].endswith(".fifo") and not target.endswith(".fifo"):
        raise bad("RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")


def subscribe(t: Txn, topic: dict[str, Any], protocol: str, endpoint: str, attrs: dict[str, str],
              owner: str, principal: str = "") -> tuple[dict[str, Any], bool]:
    """The subscription (existing for the same protocol+endpoint) and whether it is new;
    `principal` (who subscribed) is its SubscriptionPrincipal."""
    for s in subscriptions(t, topic):
        if s["protocol"] == protocol and s["endpoint"] == endpoint:
            for k, v in attrs.items():
                if s["attrs"].get(k, "") != v:
                    raise AwsError.modeled(
                        "sns",
                        "InvalidParameter",
                        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
                    )
            return s, False
    sub_arn = arns.sns_subscription(topic["region"], topic["account"], topic["name"], str(uuid.uuid4()))
    sub = {"arn": sub_arn, "topic": topic["arn"], "protocol": protocol,
           "endpoint": endpoint, "owner": owner, "principal": principal, "attrs": {}, "token": secrets.token_hex(64),
           "pending": protocol in ("http", "https", "email", "email-json")}  # sms: confirmed at once, as AWS does
    scope = attrs.get("FilterPolicyScope")
    for k, v in attrs.items():
        sub["attrs"][k] = check_sub_attribute(sub, k, v, prefix=SUBSCRIBE, scope=scope)
    if protocol == "sqs" and not topic["fifo"] and endpoint.endswith(".fifo"):
        raise AwsError.modeled(
            "sns",
            "InvalidParameter",
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be"
            " subscribed to standard SNS topics",
        )
    put_sub(t, sub)
    return sub, True


# -- publishing --------------------------------------------------------------------------------

def envelope(topic: dict[str, Any], sub: dict[str, Any] | None, message_id: str, message: str,
             subject: str | None, attrs: dict[str, dict[str, Any]], base_url: str,
             seq: str | None = None, signer: Signer | None = None) -> dict[str, Any]:
    """The notification document, keys in AWS's order, signed as AWS signs it (signing.py);
    FIFO topics' notifications carry no signature, as AWS's do not."""
    doc: dict[str, Any] = {"Type": "Notification", "MessageId": message_id, "TopicArn": topic["arn"]}
    if seq is not None:
        doc["SequenceNumber"] = seq
    if subject:
        doc["Subject"] = subject
    doc.update({"Message": message, "Timestamp": now_iso()})
    if seq is None and signer is not None:
        version = topic["attrs"].get("SignatureVersion") or "1"
        doc.update({"SignatureVersion": version, "Signature": signer.sign(doc, version),
                    "SigningCertURL": signer.cert_url(base_url)})
    # AWS writes the subscription ARN as it is (its ':' unencoded)
    doc["UnsubscribeURL"] = f"{base_url}/?Action=Unsubscribe&SubscriptionArn={sub['arn'] if sub else ''}"
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
                  group: str | None = None, dedup: str | None = None, base_url: str = "",
                  trace: str | None = None) -> dict[str, Any]:
    """Deliver one message to every confirmed subscription whose filter matches; SQS
    deliveries are done when this returns, the others run in the background. `trace`: the
    publisher's X-Ray trace header, passed on to subscribed functions (Lambda's recursive
    loop detection)."""
    attrs = attrs or {}
    message_id = str(uuid.uuid4())
    subs = await app.store.read(lambda t: subscriptions(t, topic))
    seq = None
    if topic["fifo"]:
        seq = f"{int(dt.datetime.now().timestamp() * 1e6):020d}"
    base_url = base_url or _base_url(app)
    signer = await signing.signer(app) if subs else None
    sandbox = app.settings(SnsSettings).sms_sandbox
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
        env = envelope(topic, sub, message_id, text, subject, attrs, base_url, seq, signer)
        if sub["protocol"] in ("sqs", "lambda") and not await may_deliver(
                app, "sns.amazonaws.com", "sqs:SendMessage" if sub["protocol"] == "sqs" else "lambda:InvokeFunction",
                sub["endpoint"], source_arn=topic["arn"], source_account=topic["account"]):
            log.warning("SNS delivery to %s refused: its policy does not allow this topic", sub["endpoint"])
            continue
        if sub["protocol"] == "sqs":
            await _to_sqs(app, sub, env, text, attrs, raw, group, dedup or message_id)
        elif sub["protocol"] in ("http", "https"):
            effective = endpoints.sub_effective_policy(sub, topic["attrs"])  # carried with the delivery
            target = dict(sub, content_type=endpoints.content_type(sub, topic["attrs"]),
                          retry=effective["healthyRetryPolicy"])
            await delivery.schedule(app, target, "Notification", message_id, text if raw else json.dumps(env))
        elif sub["protocol"] in ("application", "sms"):  # recorded as delivered (devices.py)
            failed = await app.store.run(functools.partial(devices.deliver, topic=topic, sub=sub, message=message,
                                                           structure=structure, attrs=attrs, in_sandbox=sandbox,
                                                           message_id=message_id))
            if failed is not None:  # a disabled endpoint: the application's EventDeliveryFailure topic hears
                await tell(app, app_events.event(failed[0], "DeliveryFailure", sub["endpoint"], FailureType=failed[1].code,
                                                 FailureMessage=failed[1].message, MessageId=message_id,
                                                 DeliveryAttempts=1))
        elif sub["protocol"] == "lambda":
            sns_doc = _lambda_record(env)
            event = {"Records": [{"EventVersion": "1.0", "EventSubscriptionArn": sub["arn"],
                                  "EventSource": "aws:sns", "Sns": sns_doc}]}
            app.spawn(_to_lambda(app, sub["endpoint"], event, trace), "sns lambda delivery")
    out = {"MessageId": message_id}
    if seq is not None:
        out["SequenceNumber"] = seq
    return out


async def tell(app: App, event: tuple[str, str] | None) -> None:
    """Publish a mobile application event (app_events.py) to its topic; a topic gone since is
    logged, not an error of what caused the event."""
    if event is None:
        return
    topic_arn, message = event
    try:
        topic = await app.store.read(lambda t: get_topic(t, topic_arn))
        await publish(app, topic, message)
    except AwsError as err:
        log.info("SNS application event to %s not sent: %s", topic_arn, err.message)


async def _to_sqs(app: App, sub: dict[str, Any], env: dict[str, Any], text: str,
                  attrs: dict[str, dict[str, Any]], raw: bool, group: str | None, dedup: str) -> None:
    sqs_attrs = None
    body = text if raw else json.dumps(env)
    if raw and len(attrs) > MAX_RAW_SQS_ATTRIBUTES:  # AWS discards it as a client-side error
        log.warning("SNS raw delivery to %s discarded: %d message attributes (SQS takes %d)", sub["endpoint"],
                    len(attrs), MAX_RAW_SQS_ATTRIBUTES)
        await to_dead_letter_queue(app, sub, body)
        return
    if raw and attrs:
        sqs_attrs = {k: {kk: vv for kk, vv in v.items() if kk in ("DataType", "StringValue", "BinaryValue")}
                     for k, v in attrs.items()}
    try:
        await deliver(app, sub["endpoint"], body, source=SNS_DELIVERY, attributes=sqs_attrs, group=group,
                      dedup=dedup)
    except AwsError as exc:
        log.warning("SNS delivery to %s failed: %s", sub["endpoint"], exc)
        await to_dead_letter_queue(app, sub, body)


async def _to_lambda(app: App, function_arn: str, event: dict[str, Any], trace: str | None = None) -> None:
    """An Event invocation of a subscribed function (dropped, logged, when it is gone)."""
    try:
        await deliver(app, function_arn, event, source=dataclasses.replace(SNS_DELIVERY, trace=trace) if trace else SNS_DELIVERY)
    except AwsError as exc:
        log.warning("SNS delivery to %s failed: %s", function_arn, exc)


def _base_url(app: App) -> str:
    from gureum.public import public_url

    return public_url(app)


# -- http/https --------------------------------------------------------------------------------

def confirmation_body(topic: dict[str, Any], sub: dict[str, Any], base_url: str, signer: Signer,
                      kind: str = "SubscriptionConfirmation") -> str:
    """A SubscriptionConfirmation, or the UnsubscribeConfirmation of an unsubscribed one."""
    topic_arn = topic["arn"]
    url = f"{base_url}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={sub['token']}"  # as AWS writes it
    message = (f"You have chosen to subscribe to the topic {topic_arn}.\nTo confirm the subscription, "
               "visit the SubscribeURL included in this message.") if kind == "SubscriptionConfirmation" else (
        f"You have chosen to deactivate subscription {sub['arn']}.\nTo cancel this operation and restore the "
        "subscription, visit the SubscribeURL included in this message.")
    doc: dict[str, Any] = {
        "Type": kind, "MessageId": str(uuid.uuid4()), "Token": sub["token"], "TopicArn": topic_arn,
        "Message": message, "SubscribeURL": url, "Timestamp": now_iso()}
    version = topic["attrs"].get("SignatureVersion") or "1"
    doc.update({"SignatureVersion": version, "Signature": signer.sign(doc, version),
                "SigningCertURL": signer.cert_url(base_url)})
    return json.dumps(doc)


_LAMBDA_KEYS = {"SigningCertURL": "SigningCertUrl", "UnsubscribeURL": "UnsubscribeUrl"}


def _lambda_record(env: dict[str, Any]) -> dict[str, Any]:
    """The `Sns` member of a Lambda event record: AWS spells SigningCertUrl/UnsubscribeUrl
    so, and sends Subject null and MessageAttributes {} when there are none."""
    doc = {_LAMBDA_KEYS.get(k, k): v for k, v in env.items() if k != "MessageAttributes"}
    doc.setdefault("Subject", None)
    doc["MessageAttributes"] = env.get("MessageAttributes") or {}
    return doc
