"""HTTP/HTTPS endpoints of SNS subscriptions: one POST of a notification or confirmation
(`post_once`, AWS's headers) and the subscription's retry policy (DeliveryPolicy's
healthyRetryPolicy over AWS's defaults). The durable retry loop is delivery.py's."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("gureum.sns")

DEFAULT_HTTP_RETRY = {"numRetries": 3, "minDelayTarget": 20, "maxDelayTarget": 20, "numNoDelayRetries": 0,
                      "numMinDelayRetries": 0, "numMaxDelayRetries": 0, "backoffFunction": "linear"}


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
