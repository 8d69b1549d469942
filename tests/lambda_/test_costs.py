"""The usage ledger records invocations; `gureum costs` prices them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import zipfile

from waiting import wait_for

from gureum.billing import prices
from gureum.billing.cli import report


def test_price_sheet_matches_aws_us_east_1():
    assert prices.lambda_cost(1_000_000, {}) == 0.20
    gbs = prices.lambda_gb_seconds(1000, 1024)
    assert gbs == 1.0
    assert abs(prices.lambda_cost(0, {"x86_64": 1.0}) - 0.0000166667) < 1e-12
    assert abs(prices.lambda_cost(0, {"arm64": 1.0}) - 0.0000133334) < 1e-12
    assert abs(prices.fargate_cost(30, 1, 2) - (60 / 3600) * (0.04048 + 2 * 0.004445)) < 1e-12  # 1-minute minimum


def test_report_lists_functions_and_free_tier():
    lines, totals = report({("000000000000", "arn:aws:lambda:us-east-1:000000000000:function:f"): {"requests": 2, "gb_seconds": {"x86_64": 0.5}, "billed_ms": 4000, "init_ms": 100.0}})
    assert "f" in lines[1] and totals["requests"] == 2
    assert "free tier" in lines[-1]


def test_gureum_costs_prices_recorded_invocations(gureum):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    role = gureum.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = gureum.client("lambda")
    name = f"billed-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler", Code={"ZipFile": buf.getvalue()}, MemorySize=512)
    for _ in range(3):
        lam.invoke(FunctionName=name)

    def three_requests() -> dict | None:
        out = subprocess.run([sys.executable, "-m", "gureum", "costs", "--json", "--endpoint", gureum.endpoint], capture_output=True, text=True, timeout=60, env=gureum.env)
        assert out.returncode == 0, out.stderr
        rows = [r for r in json.loads(out.stdout)["lambda"] if r["function"].endswith(f":function:{name}")]
        return rows[0] if rows and rows[0]["requests"] == 3 else None

    row = wait_for("the 3 invocations recorded in gureum costs", three_requests, timeout=30, interval=0.3)
    assert row["gbSeconds"] > 0 and row["cost"] > 3 * prices.LAMBDA_REQUEST
    text = subprocess.run([sys.executable, "-m", "gureum", "costs", "--endpoint", gureum.endpoint], capture_output=True, text=True, timeout=60, env=gureum.env)
    assert name in text.stdout and "free tier" in text.stdout
