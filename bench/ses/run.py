"""SES inbound SMTP throughput: messages/s that gureum's SMTP server accepts (each run
through the active receipt rule set before the 250), with an S3 action (the raw message
stored in a bucket) and with a Stop action only, against a floor in the same run: an
aiosmtpd server whose handler does nothing (the SMTP protocol's own cost), and S3
PutObject of the same bytes through the API as the reference for the S3 action's own write. No peer runs
SES receipt rules, so there is no other server to compare with.

    python bench/ses/run.py [--messages 300] [--size 2048]

One client, one SMTP connection per run, messages sent one after the other. Loopback only;
the servers are started and stopped here.
"""

from __future__ import annotations

import argparse
import smtplib
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Gureum, client, free_port  # noqa: E402


def message(to: str, size: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bench@example.org", to, "bench"
    msg.set_content("x" * size)
    return msg


def rate(port: int, to: str, n: int, size: int) -> float:
    msg = message(to, size)
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.send_message(msg, to_addrs=[to])  # warm up
        t0 = time.perf_counter()
        for _ in range(n):
            smtp.send_message(msg, to_addrs=[to])
        return n / (time.perf_counter() - t0)


class Nothing:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--size", type=int, default=2048)
    args = ap.parse_args()
    floor = Controller(Nothing(), hostname="127.0.0.1", port=free_port())
    floor.start()
    try:
        floor_rate = rate(floor.port, "anyone@example.com", args.messages, args.size)
    finally:
        floor.stop()
    smtp_port = free_port()
    server = Gureum(prefix="gureum-ses-bench-", settings=["ecs.enabled=0", f"ses.smtp_port={smtp_port}"]).start()
    url = server.endpoint
    try:
        ses, s3 = client(url, "ses"), client(url, "s3")
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        ses.create_receipt_rule_set(RuleSetName="bench")
        ses.create_receipt_rule(RuleSetName="bench", Rule={"Name": "stop", "Enabled": True, "Recipients": ["stop.example.com"],
                                                            "Actions": [{"StopAction": {"Scope": "RuleSet"}}]})
        ses.create_receipt_rule(RuleSetName="bench", After="stop", Rule={
            "Name": "store", "Enabled": True, "Recipients": ["s3.example.com"],
            "Actions": [{"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "in/"}}]})
        ses.set_active_receipt_rule_set(RuleSetName="bench")
        stop_rate = rate(smtp_port, "a@stop.example.com", args.messages, args.size)
        s3_rate = rate(smtp_port, "a@s3.example.com", args.messages, args.size)
        stored = s3.list_objects_v2(Bucket=bucket, Prefix="in/")["KeyCount"]
        body = message("a@s3.example.com", args.size).as_bytes()
        s3.put_object(Bucket=bucket, Key="warm", Body=body)
        t0 = time.perf_counter()
        for i in range(args.messages):
            s3.put_object(Bucket=bucket, Key=f"api/{i}", Body=body)
        put_rate = args.messages / (time.perf_counter() - t0)
    finally:
        server.stop(30)
    print(f"inbound SMTP, {args.messages} messages of {args.size} bytes, one connection")
    print(f"  floor (aiosmtpd, no-op handler)   {floor_rate:8.1f} msg/s")
    print(f"  gureum, Stop action               {stop_rate:8.1f} msg/s  ({stop_rate / floor_rate:.2f} x floor)")
    print(f"  gureum, S3 action                 {s3_rate:8.1f} msg/s  ({s3_rate / floor_rate:.2f} x floor)")
    print(f"  reference: S3 PutObject of the same bytes through the API, {put_rate:8.1f} objects/s")
    print(f"  objects stored: {stored} (of {args.messages + 1} sent through the S3 rule; the list shows up to 1000)")
    print("  no peer runs SES receipt rules: there is no other server to compare with")
    return 0


if __name__ == "__main__":
    sys.exit(main())
