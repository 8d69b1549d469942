"""HTTP/HTTPS endpoints of SNS subscriptions: one POST of a notification or confirmation
(`post_once`, AWS's headers) and the delivery policies as AWS composes them: a topic's
EffectiveDeliveryPolicy (its DeliveryPolicy's "http" over AWS's defaults), a subscription's
DeliveryPolicy as AWS echoes it (all five members, the retry policy filled in) and its
EffectiveDeliveryPolicy (the subscription's, else the topic's defaults, else AWS's), whose
requestPolicy.headerContentType is the Content-Type of notifications. The durable retry loop
is delivery.py's."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("gureum.sns")

DEFAULT_HTTP_RETRY = {"numRetries": 3, "minDelayTarget": 20, "maxDelayTarget": 20, "numNoDelayRetries": 0,
                      "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}


DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def topic_effective_policy(topic_attrs: dict[str, str]) -> dict[str, Any]:
    """AWS's defaults for http(s) deliveries with the topic's DeliveryPolicy laid over them."""
    http: dict[str, Any] = {"defaultHealthyRetryPolicy": dict(DEFAULT_HTTP_RETRY),
                            "disableSubscriptionOverrides": False,
                            "defaultRequestPolicy": {"headerContentType": DEFAULT_CONTENT_TYPE}}
    given = _json_object(topic_attrs.get("DeliveryPolicy")).get("http")
    for key, value in given.items() if isinstance(given, dict) else ():
        if key == "defaultHealthyRetryPolicy" and isinstance(value, dict):
            http[key].update(value)
        elif value is not None:
            http[key] = value
    return {"http": http}


def sub_policy(text: str) -> dict[str, Any]:
    """A subscription's DeliveryPolicy as AWS echoes it."""
    given = _json_object(text)
    healthy = given.get("healthyRetryPolicy")
    return {"healthyRetryPolicy": {**DEFAULT_HTTP_RETRY, **healthy} if isinstance(healthy, dict) else None,
            "sicklyRetryPolicy": given.get("sicklyRetryPolicy"), "throttlePolicy": given.get("throttlePolicy"),
            "requestPolicy": given.get("requestPolicy"), "guaranteed": bool(given.get("guaranteed", False))}


def sub_effective_policy(sub: dict[str, Any], topic_attrs: dict[str, str] | None) -> dict[str, Any]:
    """A subscription's EffectiveDeliveryPolicy: its own, else its topic's defaults."""
    doc = sub_policy(sub["attrs"].get("DeliveryPolicy") or "")
    topic_http = topic_effective_policy(topic_attrs or {})["http"]
    if doc["healthyRetryPolicy"] is None:
        doc["healthyRetryPolicy"] = topic_http["defaultHealthyRetryPolicy"]
    if doc["requestPolicy"] is None:
        doc["requestPolicy"] = topic_http["defaultRequestPolicy"]
    return doc


def content_type(sub: dict[str, Any], topic_attrs: dict[str, str] | None) -> str:
    """The Content-Type of a notification to this subscription."""
    request = sub_effective_policy(sub, topic_attrs).get("requestPolicy")
    value = request.get("headerContentType") if isinstance(request, dict) else None
    return value if isinstance(value, str) and value else DEFAULT_CONTENT_TYPE


def retry_policy(sub: dict[str, Any]) -> dict[str, Any]:
    """The healthy retry policy of a delivery: the effective one it was scheduled with
    (topics.publish), else the subscription's over AWS's defaults."""
    if isinstance(sub.get("retry"), dict):
        return dict(DEFAULT_HTTP_RETRY, **sub["retry"])
    healthy = sub_policy(sub["attrs"].get("DeliveryPolicy") or "")["healthyRetryPolicy"]
    return healthy if healthy is not None else dict(DEFAULT_HTTP_RETRY)


async def post_once(sub: dict[str, Any], kind: str, message_id: str, body: str) -> tuple[bool, bool]:
    """One POST to the endpoint: (delivered, permanent failure). 2xx delivers; other 4xx
    than 429 are permanent; 5xx, 429 and connection failures are retried by the caller."""
    headers = {
        "x-amz-sns-message-type": kind,
        "x-amz-sns-message-id": message_id,
        "x-amz-sns-topic-arn": sub["topic"],
        # notifications: the effective requestPolicy's type (topics.publish); confirmations: AWS's default
        "Content-Type": sub.get("content_type") if kind == "Notification" and sub.get("content_type")
        else DEFAULT_CONTENT_TYPE,
        "User-Agent": "Amazon Simple Notification Service Agent",
    }
    if kind != "SubscriptionConfirmation":
        headers["x-amz-sns-subscription-arn"] = sub["arn"]
    if kind == "Notification" and sub["attrs"].get("RawMessageDelivery") == "true":
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
