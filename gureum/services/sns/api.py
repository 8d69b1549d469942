"""SNS operations (query protocol): topics, subscriptions, publish, tags."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.policy import resource_policies
from gureum.public import public_url
from gureum.services.sns import api_data_protection, data_protection, endpoints, platforms, signing, sms, topics
from gureum.services.sns import params as params_
from gureum.services.sns.settings import SnsSettings

MAX_MESSAGE = 262_144  # a topic's default MaximumMessageSize (256 KiB)
MAX_MESSAGE_SIZE_RANGE = (1024, 1_048_576)  # what MaximumMessageSize may be set to (up to 1 MiB since 2025)
_TOKEN = re.compile(r"(?:[0-9a-f]{2}){32,}")  # the shape of a confirmation token
_PHONE = re.compile(r"\+?[1-9][0-9]{1,14}")  # E.164
_BATCH_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]+")  # a PublishBatch entry Id (up to 80 of them)
# SNS: a bad key or value is InvalidParameter, more than 50 tags TagLimitExceeded.
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("sns", "InvalidParameter", f"Invalid parameter: Tags Reason: {m}"),
                       too_many=lambda m: AwsError.modeled("sns", "TagLimitExceeded", m),
                       too_many_message="Could not complete request: tag quota of per resource exceeded",
                       duplicate=lambda k: AwsError.modeled("sns", "InvalidParameter",
                                                            "Invalid parameter: Duplicated keys are not allowed."))
_TOPIC_SETTABLE = ("DisplayName", "Policy", "MaximumMessageSize", "DeliveryPolicy", "KmsMasterKeyId", "SignatureVersion",
                   "TracingConfig", "ContentBasedDeduplication", "ArchivePolicy", "FifoThroughputScope",
                   "HTTPSuccessFeedbackRoleArn", "HTTPFailureFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate",
                   "SQSSuccessFeedbackRoleArn", "SQSFailureFeedbackRoleArn", "SQSSuccessFeedbackSampleRate",
                   "LambdaSuccessFeedbackRoleArn", "LambdaFailureFeedbackRoleArn",
                   "LambdaSuccessFeedbackSampleRate", "FifoTopic")


def _base_url(ctx: RequestContext) -> str:
    return public_url(ctx.app, ctx.request)


def _default_policy(arn: str, account: str) -> str:
    return json.dumps({
        "Version": "2008-10-17", "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                       "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic",
                       "SNS:Publish"],
            "Resource": arn, "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
        }],
    }, separators=(",", ":"))


def _check_policy(text: str) -> None:
    """A topic policy as SNS checks it before storing it: a JSON object whose statements
    each apply to one resource and grant only SNS actions."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise params_.invalid("Policy Error: null")
    reason = resource_policies.unreadable(text)  # the gate would skip it, a Deny with it
    if reason is not None:
        raise params_.invalid(f"Policy Error: {reason}")
    statements = doc.get("Statement")
    for st in statements if isinstance(statements, list) else [statements] if isinstance(statements, dict) else []:
        if not isinstance(st, dict):
            continue
        resource = st.get("Resource")
        if isinstance(resource, list) and len(resource) != 1:
            raise params_.invalid("Policy statement must apply to a single resource!")
        actions = st.get("Action")
        for action in actions if isinstance(actions, list) else [actions]:
            if isinstance(action, str) and action != "*" and not action.lower().startswith("sns:"):
                raise params_.invalid("Policy statement action out of service scope!")


def _check_maximum_message_size(value: str) -> None:
    """MaximumMessageSize: an integer number of bytes from 1,024 to 1,048,576."""
    lo, hi = MAX_MESSAGE_SIZE_RANGE
    if not (value.isascii() and value.isdigit() and lo <= int(value) <= hi):
        raise params_.invalid("MaximumMessageSize")


def maximum_message_size(topic: dict[str, Any]) -> int:
    """What the topic accepts, message body and attributes together (262,144 by default)."""
    return int(topic["attrs"].get("MaximumMessageSize") or MAX_MESSAGE)


@operation("sns", "CreateTopic")
async def create_topic(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    attrs = params.get("Attributes") or {}
    for k, v in attrs.items():
        if k not in _TOPIC_SETTABLE:
            raise params_.invalid("AttributeName")
        if k == "Policy":
            _check_policy(v)
        if k == "MaximumMessageSize":
            _check_maximum_message_size(v)
    new_tags = tags.check([(x["Key"], x.get("Value") or "") for x in params.get("Tags") or []], TAG_RULES)
    tags.apply({}, new_tags, (), TAG_RULES)
    policy = params.get("DataProtectionPolicy")
    if policy:
        data_protection.check(policy)

    def create(t: Any) -> dict[str, Any]:
        doc = topics.create_topic(t, ctx.account_id, ctx.region, params["Name"], attrs, tags.to_pairs(new_tags))
        if policy:
            api_data_protection.store_policy(t, doc["arn"], ctx.region, policy, "Name")
        return doc

    doc = await ctx.app.store.run(create)
    return {"TopicArn": doc["arn"]}


@operation("sns", "DeleteTopic")
async def delete_topic(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: topics.delete_topic(t, params["TopicArn"], ctx.region))
    return {}


@operation("sns", "ListTopics")
async def list_topics(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = f"{ctx.account_id}/{ctx.region}/"
    rows, token = await ctx.app.store.read(lambda t: _page(t, topics.TOPICS, prefix, params))
    out: dict[str, Any] = {"Topics": [{"TopicArn": d["arn"]} for _, d in rows]}
    if token:
        out["NextToken"] = token
    return out


def _page(t: Any, table: str, prefix: str, params: dict[str, Any]) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
    """SNS lists 100 items a page; NextToken is a key token of gureum.aws.paging."""
    return paging.page(t, table, prefix, token=params.get("NextToken"), limit=None, default_limit=100,
                       error=lambda: AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: NextToken"))


@operation("sns", "GetTopicAttributes")
async def get_topic_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def load(t: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        topic = topics.get_topic(t, params["TopicArn"], ctx.region)
        return topic, topics.subscriptions(t, topic)

    topic, subs = await ctx.app.store.read(load)
    attrs = {
        "TopicArn": topic["arn"], "Owner": topic["account"], "DisplayName": "",
        "Policy": _default_policy(topic["arn"], topic["account"]),
        "SubscriptionsConfirmed": str(sum(1 for s in subs if not s.get("pending"))),
        "SubscriptionsPending": str(sum(1 for s in subs if s.get("pending"))),
        "SubscriptionsDeleted": "0",
        "EffectiveDeliveryPolicy": json.dumps(endpoints.topic_effective_policy(topic["attrs"])),
    }
    attrs.update(topic["attrs"])
    return {"Attributes": attrs}


@operation("sns", "SetTopicAttributes")
async def set_topic_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, value = params["AttributeName"], params.get("AttributeValue") or ""
    if name not in _TOPIC_SETTABLE or name == "FifoTopic":
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: AttributeName")
    if name == "Policy" and value:
        _check_policy(value)
    if name == "MaximumMessageSize":
        _check_maximum_message_size(value)

    def update(t: Any) -> None:
        topic = topics.get_topic(t, params["TopicArn"], ctx.region)
        if name == "ContentBasedDeduplication" and not topic["fifo"]:
            raise AwsError.modeled(
                "sns",
                "InvalidParameter",
                "Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics",
            )
        topic["attrs"][name] = value
        t.put(topics.TOPICS, topics.topic_key(topic["account"], topic["region"], topic["name"]), topic)

    await ctx.app.store.run(update)
    return {}


def _one_or_many(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def _update_policy(t: Any, arn: str, region: str, change: Any) -> None:
    """Apply `change(statements, topic)` to the topic's policy (AWS's default one when the
    topic has none of its own) and store the result as the topic's Policy."""
    topic = topics.get_topic(t, arn, region)
    doc = json.loads(topic["attrs"].get("Policy") or _default_policy(topic["arn"], topic["account"]))
    statements = doc.get("Statement")
    statements = statements if isinstance(statements, list) else [statements] if statements else []
    change(statements, topic)
    doc["Statement"] = statements
    topic["attrs"]["Policy"] = json.dumps(doc, separators=(",", ":"))
    t.put(topics.TOPICS, topics.topic_key(topic["account"], topic["region"], topic["name"]), topic)


@operation("sns", "AddPermission")
async def add_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    label = params["Label"]
    actions = [f"SNS:{a}" for a in params["ActionName"]]
    accounts = [arns.iam_root(a) if a.isdigit() else a for a in params["AWSAccountId"]]

    def add(statements: list[Any], topic: dict[str, Any]) -> None:
        if any(isinstance(st, dict) and st.get("Sid") == label for st in statements):
            raise params_.invalid("Statement already exists")
        statements.append({"Sid": label, "Effect": "Allow", "Principal": {"AWS": _one_or_many(accounts)},
                           "Action": _one_or_many(actions), "Resource": topic["arn"]})

    await ctx.app.store.run(lambda t: _update_policy(t, params["TopicArn"], ctx.region, add))
    return {}


@operation("sns", "RemovePermission")
async def remove_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def remove(statements: list[Any], topic: dict[str, Any]) -> None:
        statements[:] = [st for st in statements if not (isinstance(st, dict) and st.get("Sid") == params["Label"])]

    await ctx.app.store.run(lambda t: _update_policy(t, params["TopicArn"], ctx.region, remove))
    return {}


# -- subscriptions ---------------------------------------------------------------------------

@operation("sns", "Subscribe")
async def subscribe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    protocol = params["Protocol"].lower()
    endpoint = params.get("Endpoint") or ""
    if protocol not in topics.PROTOCOLS:
        raise AwsError.modeled(
            "sns",
            "InvalidParameter",
            f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}",
        )
    if protocol in ("http", "https") and not endpoint.lower().startswith(protocol + "://"):
        raise AwsError.modeled(
            "sns", "InvalidParameter", "Invalid parameter: Endpoint must match the specified protocol"
        )
    if protocol == "sqs" and arns.service_of(endpoint) != "sqs":
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    if protocol == "lambda" and arns.service_of(endpoint) != "lambda":
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Lambda endpoint ARN")
    if protocol == "application" and not (endpoint.count(":") >= 5 and params_.is_platform_endpoint(endpoint, "Endpoint")):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Endpoint Reason: not a platform endpoint ARN")
    if protocol == "sms" and not _PHONE.fullmatch(endpoint):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Endpoint Reason: not a phone number")
    if protocol in ("email", "email-json") and "@" not in endpoint:
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Email address")

    def sub_txn(t: Any) -> tuple[dict[str, Any], dict[str, Any], bool]:
        topic = topics.get_topic(t, params["TopicArn"], ctx.region)
        sub, new = topics.subscribe(t, topic, protocol, endpoint, params.get("Attributes") or {}, ctx.account_id,
                                    ctx.principal_arn)
        return topic, sub, new

    topic, sub, new = await ctx.app.store.run(sub_txn)
    if sub.get("pending") and protocol in ("http", "https") and new:
        from gureum.services.sns import delivery

        body = topics.confirmation_body(topic, sub, _base_url(ctx), await signing.signer(ctx.app))
        await delivery.schedule(ctx.app, sub, "SubscriptionConfirmation", str(uuid.uuid4()), body)
    if sub.get("pending") and not params.get("ReturnSubscriptionArn"):
        return {"SubscriptionArn": "pending confirmation"}
    return {"SubscriptionArn": sub["arn"]}


@operation("sns", "ConfirmSubscription")
async def confirm_subscription(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    token = params["Token"]
    if not _TOKEN.fullmatch(token):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid token")
    try:
        account, region, name = topics.parse_topic_arn(params["TopicArn"], ctx.region)
    except AwsError:
        raise params_.invalid("Topic") from None

    def confirm(t: Any) -> dict[str, Any]:
        topic = t.get(topics.TOPICS, topics.topic_key(account, region, name))
        for s in topics.subscriptions(t, topic) if topic is not None else []:
            if s.get("token") == token:
                s["pending"] = False
                if params.get("AuthenticateOnUnsubscribe", "").lower() == "true":
                    s["auth_unsub"] = True
                topics.put_sub(t, s)
                return s
        restored = topics.restore(t, topic, token) if topic is not None else None
        if restored is not None:
            return restored
        raise params_.invalid("Token")

    sub = await ctx.app.store.run(confirm)
    return {"SubscriptionArn": sub["arn"]}


@operation("sns", "Unsubscribe")
async def unsubscribe(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["SubscriptionArn"]

    def drop(t: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        gone = topics.unsubscribe(t, arn, ctx.region)
        if gone is None:
            return None
        account, region, name = topics.parse_topic_arn(gone["topic"])
        topic = t.get(topics.TOPICS, topics.topic_key(account, region, name))
        return (gone, topic) if topic is not None else None

    told = await ctx.app.store.run(drop)
    if told is not None:  # an http(s) endpoint is told, and may restore it (ConfirmSubscription)
        from gureum.services.sns import delivery

        sub, topic = told
        body = topics.confirmation_body(topic, sub, _base_url(ctx), await signing.signer(ctx.app),
                                        kind="UnsubscribeConfirmation")
        await delivery.schedule(ctx.app, sub, "UnsubscribeConfirmation", json.loads(body)["MessageId"], body)
    return {}


def _sub_summary(s: dict[str, Any]) -> dict[str, Any]:
    return {"SubscriptionArn": "PendingConfirmation" if s.get("pending") else s["arn"], "Owner": s["owner"],
            "Protocol": s["protocol"], "Endpoint": s["endpoint"], "TopicArn": s["topic"]}


@operation("sns", "ListSubscriptions")
async def list_subscriptions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = f"{ctx.account_id}/{ctx.region}/"
    rows, token = await ctx.app.store.read(lambda t: _page(t, topics.SUBS, prefix, params))
    out: dict[str, Any] = {"Subscriptions": [_sub_summary(d) for _, d in rows]}
    if token:
        out["NextToken"] = token
    return out


@operation("sns", "ListSubscriptionsByTopic")
async def list_subscriptions_by_topic(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def load(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        topic = topics.get_topic(t, params["TopicArn"], ctx.region)
        return _page(t, topics.SUBS, topics.topic_key(topic["account"], topic["region"], topic["name"]) + "/", params)

    rows, token = await ctx.app.store.read(load)
    out: dict[str, Any] = {"Subscriptions": [_sub_summary(d) for _, d in rows]}
    if token:
        out["NextToken"] = token
    return out


@operation("sns", "GetSubscriptionAttributes")
async def get_subscription_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def load(t: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
        sub = topics.get_sub(t, params["SubscriptionArn"], ctx.region)
        account, region, name = topics.parse_topic_arn(sub["topic"])
        return sub, t.get(topics.TOPICS, topics.topic_key(account, region, name))

    s, topic = await ctx.app.store.read(load)
    attrs = {"SubscriptionArn": s["arn"], "TopicArn": s["topic"], "Owner": s["owner"], "Protocol": s["protocol"],
             "Endpoint": s["endpoint"], "PendingConfirmation": "true" if s.get("pending") else "false",
             "ConfirmationWasAuthenticated": "true" if not s.get("pending") and s["protocol"] not in (
                 "http", "https", "email", "email-json") else "false",
             "RawMessageDelivery": "false", "SubscriptionPrincipal": s.get("principal") or arns.iam_root(s["owner"])}
    if s["protocol"] in ("http", "https"):
        attrs["EffectiveDeliveryPolicy"] = json.dumps(endpoints.sub_effective_policy(
            s, topic["attrs"] if topic is not None else None))
    attrs.update(s["attrs"])
    if s["attrs"].get("DeliveryPolicy"):
        attrs["DeliveryPolicy"] = json.dumps(endpoints.sub_policy(s["attrs"]["DeliveryPolicy"]))
    if attrs.get("FilterPolicy"):
        attrs.setdefault("FilterPolicyScope", "MessageAttributes")
    else:  # AWS shows the scope only with a policy, and no empty policy
        attrs.pop("FilterPolicy", None)
        attrs.pop("FilterPolicyScope", None)
    return {"Attributes": attrs}


@operation("sns", "SetSubscriptionAttributes")
async def set_subscription_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def update(t: Any) -> None:
        s = topics.get_sub(t, params["SubscriptionArn"], ctx.region)
        name = params["AttributeName"]
        value = topics.check_sub_attribute(s, name, params.get("AttributeValue") or "")
        if value == "" and name in ("FilterPolicy", "DeliveryPolicy", "RedrivePolicy"):
            s["attrs"].pop(name, None)
        else:
            s["attrs"][name] = value
        topics.put_sub(t, s)

    await ctx.app.store.run(update)
    return {}


# -- publish ---------------------------------------------------------------------------------

def _check_attributes(attrs: dict[str, dict[str, Any]]) -> None:
    """Each message attribute as SNS checks it. SNS takes more than 10 (only raw delivery to
    SQS cannot carry them: topics.py discards those deliveries, as AWS does)."""
    for name, a in attrs.items():
        _check_attribute_name(name)
        dt = a.get("DataType") or ""
        base = dt.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise _value_invalid(
                f"The message attribute '{name}' has an invalid message "
                f"attribute type, the set of supported type prefixes is Binary, Number, and String."
            )
        field = "Binary" if base == "Binary" else "String"
        value = a.get(f"{field}Value")
        other = a.get("StringValue" if field == "Binary" else "BinaryValue")
        if value is None and other is not None:
            raise _value_invalid(f"The message attribute '{name}' with type '{dt}' must use field '{field}'.")
        if value is None or value in ("", b""):
            raise _value_invalid(
                f"The message attribute '{name}' must contain non-empty "
                f"message attribute value for message attribute type '{dt}'."
            )
        if dt == "String.Array":
            try:
                if not isinstance(json.loads(value), list):
                    raise ValueError
            except ValueError:
                raise _value_invalid(f"The message attribute '{name}' with type 'String.Array' has an invalid value.") from None


def _value_invalid(message: str) -> AwsError:
    return AwsError.modeled("sns", "ParameterValueInvalid", message)


_ATTRIBUTE_NAME_CHAR = re.compile(r"[A-Za-z0-9_.-]")


def _check_attribute_name(name: str) -> None:
    """A message attribute name as SNS checks it (AWS's messages, in AWS's order)."""
    if len(name.encode()) > 256:
        raise _value_invalid("Length of message attribute name must be less than 256 bytes.")
    for ch in name:
        if not _ATTRIBUTE_NAME_CHAR.fullmatch(ch):
            raise _value_invalid(
                f"Invalid non-alphanumeric character '#x{ord(ch):X}' was found in the message attribute name. "
                "Can only include alphanumeric characters, hyphens, underscores, or dots."
            )
    if name.startswith("."):
        raise _value_invalid("Invalid message attribute name starting with character '.' was found.")
    if name.endswith("."):
        raise _value_invalid("Invalid message attribute name ending with character '.' was found.")
    if ".." in name:
        raise _value_invalid("Message attribute name can not have successive '.' character.")


def _size(p: dict[str, Any]) -> int:
    """A message's size as SNS counts it against MaximumMessageSize: the body's bytes and, per
    attribute, its name, data type and value."""
    total = len((p.get("Message") or "").encode())
    for name, attr in (p.get("MessageAttributes") or {}).items():
        value = attr.get("StringValue")
        total += len(name.encode()) + len(str(attr.get("DataType") or "").encode())
        total += len(value.encode()) if isinstance(value, str) else len(attr.get("BinaryValue") or b"")
    return total


def _check_publish(topic: dict[str, Any], p: dict[str, Any]) -> None:
    message = p.get("Message")
    if message is None or message == "":
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Empty message")
    if _size(p) > maximum_message_size(topic):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Message too long")
    subject = p.get("Subject")
    if subject is not None and (not subject or len(subject) > 100 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in subject)):
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Subject")
    if p.get("MessageStructure") == "json":
        try:
            doc = json.loads(message)
        except ValueError:
            raise AwsError.modeled(
                "sns", "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse"
            ) from None
        if not isinstance(doc, dict) or "default" not in doc:
            raise AwsError.modeled(
                "sns",
                "InvalidParameter",
                "Invalid parameter: Message Structure - No default entry in JSON message body",
            )
    _check_attributes(p.get("MessageAttributes") or {})
    if topic["fifo"]:
        if not p.get("MessageGroupId"):
            raise AwsError.modeled(
                "sns", "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
            )
        if not p.get("MessageDeduplicationId") and topic["attrs"].get("ContentBasedDeduplication") != "true":
            raise AwsError.modeled(
                "sns",
                "InvalidParameter",
                "Invalid parameter: The topic should either have ContentBasedDeduplication "
                "enabled or MessageDeduplicationId provided explicitly",
            )
    elif p.get("MessageDeduplicationId"):
        raise AwsError.modeled(
            "sns",
            "InvalidParameter",
            "Invalid parameter: MessageDeduplicationId Reason: The request includes "
            "MessageDeduplicationId parameter that is not valid for this topic type",
        )


async def _publish_one(ctx: RequestContext, topic: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    _check_publish(topic, p)
    policy = json.loads(topic["data_protection"]) if topic.get("data_protection") else None
    outcome = data_protection.inbound(policy, ctx.principal_arn, p["Message"])
    out = await topics.publish(
        ctx.app, topic, outcome.message, subject=p.get("Subject"), attrs=p.get("MessageAttributes") or {},
        structure=p.get("MessageStructure"), group=p.get("MessageGroupId"),
        dedup=p.get("MessageDeduplicationId"), base_url=_base_url(ctx),
        trace=ctx.request.headers.get("x-amzn-trace-id") if ctx.request is not None else None)
    for group, line in data_protection.audit_lines(outcome.audits, topic["arn"], str(out["MessageId"])):
        ctx.app.logs.append(topic["account"], topic["region"], group, "sns-data-protection", [(int(time.time() * 1000), line)])
    return out


def _check_direct(p: dict[str, Any]) -> None:
    """A Publish to an endpoint or a phone number: a message, and a readable JSON structure."""
    message = p.get("Message")
    if message is None or message == "":
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Empty message")
    if len(message.encode()) > MAX_MESSAGE:
        raise AwsError.modeled("sns", "InvalidParameter", "Invalid parameter: Message too long")
    if p.get("MessageStructure") == "json":
        try:
            doc = json.loads(message)
        except ValueError:
            raise AwsError.modeled(
                "sns", "InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse"
            ) from None
        if not isinstance(doc, dict) or "default" not in doc:
            raise AwsError.modeled(
                "sns", "InvalidParameter", "Invalid parameter: Message Structure - No default entry in JSON message body")
    _check_attributes(p.get("MessageAttributes") or {})


@operation("sns", "Publish")
async def publish(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("TopicArn") is not None:
        arn, param = params["TopicArn"], "TopicArn"
    elif params.get("TargetArn") is not None:
        arn, param = params["TargetArn"], "TargetArn"
        if params_.is_platform_endpoint(arn):  # mobile push: recorded as delivered (platforms.py)
            _check_direct(params)

            def push(t: Any) -> str:
                try:
                    return platforms.publish(t, ctx.account_id, ctx.region, arn, params["Message"],
                                             params.get("MessageStructure"), params.get("MessageAttributes") or {})
                except AwsError as err:
                    if err.code == "NotFound":
                        raise params_.no_endpoint() from None
                    raise

            return {"MessageId": await ctx.app.store.run(push)}
    elif params.get("PhoneNumber") is not None:
        phone = params["PhoneNumber"]
        if not _PHONE.fullmatch(phone):
            raise params_.invalid(f"PhoneNumber Reason: {phone} is not valid to publish to")
        _check_direct(params)
        number = phone if phone.startswith("+") else "+" + phone
        sandbox = ctx.app.settings(SnsSettings).sms_sandbox

        def text(t: Any) -> str:
            message = platforms.message_for("sms", params["Message"], params.get("MessageStructure"))
            return sms.send(t, ctx.account_id, ctx.region, number, message, params.get("MessageAttributes") or {}, sandbox)

        return {"MessageId": await ctx.app.store.run(text)}
    else:
        raise AwsError.modeled(
            "sns",
            "InvalidParameter",
            "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
        )
    topic = await ctx.app.store.read(lambda t: topics.get_topic(t, arn, ctx.region, param))
    return await _publish_one(ctx, topic, params)


@operation("sns", "PublishBatch")
async def publish_batch(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    topic = await ctx.app.store.read(lambda t: topics.get_topic(t, params["TopicArn"], ctx.region))
    entries = params.get("PublishBatchRequestEntries") or []
    if not entries:
        raise AwsError.modeled("sns", "EmptyBatchRequest", "The batch request doesn't contain any entries.")
    if len(entries) > 10:
        raise AwsError.modeled(
            "sns", "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."
        )
    ids = [e["Id"] for e in entries]
    if len(set(ids)) != len(ids):
        raise AwsError.modeled(
            "sns", "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."
        )
    for entry_id in ids:  # AWS's words, the first offending Id named (AWS checks the length first)
        if len(entry_id) > 80:
            raise AwsError.modeled("sns", "InvalidBatchEntryId",
                                   f"The Id of a batch entry in the batch request is too long: {entry_id}")
        if not _BATCH_ENTRY_ID.fullmatch(entry_id):
            raise AwsError.modeled("sns", "InvalidBatchEntryId", "The Id of a batch entry in the batch request"
                                   f" contains an impermissible character: {entry_id}")
    if sum(_size(e) for e in entries) > maximum_message_size(topic):
        raise AwsError.modeled(
            "sns", "BatchRequestTooLong", "The length of all the messages put together is more than the limit."
        )
    ok, failed = [], []
    for e in entries:
        try:
            res = await _publish_one(ctx, topic, e)
        except AwsError as err:
            failed.append({"Id": e["Id"], "Code": err.code, "Message": err.message, "SenderFault": err.sender_fault})
            continue
        ok.append({"Id": e["Id"], **res})
    return {"Successful": ok, "Failed": failed}


# -- tags --------------------------------------------------------------------------------------

class _TopicTags:
    """SNS keeps a topic's tags as a {key: value} dict in its TOPICS doc ("tags")."""

    def __init__(self, arn: str) -> None:
        self.arn = arn

    def _topic(self, t: Any) -> dict[str, Any]:
        account, region, name = topics.parse_topic_arn(self.arn, param="ResourceArn")
        doc = t.get(topics.TOPICS, topics.topic_key(account, region, name))
        if doc is None:
            raise AwsError.modeled("sns", "ResourceNotFound", "Resource does not exist")
        return doc

    def read(self, t: Any) -> dict[str, str]:
        return dict(self._topic(t).get("tags") or {})

    def write(self, t: Any, new: dict[str, str]) -> None:
        topic = self._topic(t)
        topic["tags"] = new
        t.put(topics.TOPICS, topics.topic_key(topic["account"], topic["region"], topic["name"]), topic)


@operation("sns", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    add = [(x["Key"], x.get("Value") or "") for x in params.get("Tags") or []]
    await ctx.app.store.run(lambda t: tags.tag(t, _TopicTags(params["ResourceArn"]), add, TAG_RULES))
    return {}


@operation("sns", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: tags.untag(t, _TopicTags(params["ResourceArn"]), params.get("TagKeys") or [], TAG_RULES))
    return {}


@operation("sns", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, _TopicTags(params["ResourceArn"])))
    return {"Tags": tags.to_pairs(found)}
