"""The node's one log writer and one usage ledger (`app.logs`, `app.ledger`): a clean stop
writes everything they hold. With their batching intervals set to an hour, nothing of the
invocations below reaches the store before the stop, so what the restarted node shows was
written by the stop's flush (after the Lambda component closed its environments)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

from harness import GureumProcess
from waiting import wait_for


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    return buf.getvalue()


def test_a_clean_stop_loses_no_log_line_and_no_usage_row(tmp_path: Path):
    g = GureumProcess(tmp_path / "data", extra_args=[
        "--set", "logs.flush_interval=3600", "--set", "billing.flush_interval=3600",
    ])
    g.start()
    marker = f"marker-{uuid.uuid4().hex}"
    name = f"flushed-{uuid.uuid4().hex[:6]}"
    invokes = 3
    try:
        role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
        lam = g.client("lambda")
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                            Code={"ZipFile": _zip(f"def handler(e, c):\n    print('{marker}', e['n'])\n    return e['n']\n")})
        for n in range(invokes):
            assert lam.invoke(FunctionName=name, Payload=json.dumps({"n": n}).encode())["StatusCode"] == 200
        # nothing written yet: the batching intervals are an hour
        assert g.client("logs").describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"] == []
    finally:
        code = g.stop()
    assert code == 0, g.log_tail()

    out = subprocess.run([sys.executable, "-m", "gureum", "costs", "--json", "--data-dir", str(g.data_dir)],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    rows = [r for r in json.loads(out.stdout)["lambda"] if r["function"].endswith(f":function:{name}")]
    assert [r["requests"] for r in rows] == [invokes]

    g.start()
    try:
        logs = g.client("logs")
        wait_for("the function's log group after the restart",
                 lambda: logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"], 30, 0.2)
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        lines = [e["message"] for e in events if marker in e["message"]]
        assert sorted(line.split()[-1] for line in lines) == [str(n) for n in range(invokes)], lines
    finally:
        g.stop()
