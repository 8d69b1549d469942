"""`gureum logs FUNCTION [--follow]`: a Lambda function's log lines, read through the
CloudWatch Logs API of the gureum at --endpoint (AWS_ENDPOINT_URL, http://localhost:4566)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone


def _client(endpoint: str, region: str):  # noqa: ANN202
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(
        "logs",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )


def _since(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units and text[:-1].isdigit():
        return int((time.time() - int(text[:-1]) * units[text[-1]]) * 1000)
    raise argparse.ArgumentTypeError(f"bad --since {text!r} (e.g. 10m, 2h, 1d)")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gureum logs", description="Show a Lambda function's logs.")
    p.add_argument("function", help="function name (or a log group name starting with /)")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new lines")
    p.add_argument("--since", default="1d", help="how far back (10m, 2h, 1d; default 1d)")
    p.add_argument("--endpoint", default=os.environ.get("GUREUM_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL") or "http://localhost:4566")
    p.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1")
    args = p.parse_args(argv)
    group = args.function if args.function.startswith("/") else f"/aws/lambda/{args.function}"
    client = _client(args.endpoint, args.region)
    start = _since(args.since)
    seen: set[str] = set()
    try:
        while True:
            token = None
            newest = start
            while True:
                kwargs = {"logGroupName": group, "startTime": start}
                if token:
                    kwargs["nextToken"] = token
                try:
                    page = client.filter_log_events(**kwargs)
                except client.exceptions.ResourceNotFoundException:
                    if not args.follow:
                        print(f"gureum logs: no log group {group}", file=sys.stderr)
                        return 1
                    break
                for ev in page["events"]:
                    if ev["eventId"] in seen:
                        continue
                    seen.add(ev["eventId"])
                    ts = datetime.fromtimestamp(ev["timestamp"] / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
                    print(f"{ts}Z {ev['logStreamName'].rsplit(']', 1)[-1][:8]} {ev['message']}", flush=True)
                    newest = max(newest, ev["timestamp"])
                token = page.get("nextToken")
                if not token:
                    break
            if not args.follow:
                return 0
            start = max(start, newest - 2000)  # overlap a little; eventIds dedupe
            time.sleep(1.0)
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
