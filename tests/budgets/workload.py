"""A hand-priced workload for budget tests: a 512 MB Python function invoked N times, priced
here from its billed durations at AWS's list prices (Lambda GB-seconds and requests)."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
import zipfile

from harness import GureumProcess
from waiting import wait_for

GB_SECOND = 0.0000166667
REQUEST = 0.20 / 1_000_000
MEMORY = 512


def priced_lambda_workload(g: GureumProcess, n: int = 3, **keys: str) -> float:
    """Run the workload (as the caller `keys` name, when given); what AWS would bill for it (USD)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = g.client("iam", **keys).create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust))
    lam = g.client("lambda", **keys)
    name = f"b-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()}, MemorySize=MEMORY)
    wait_for("function active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", timeout=60)
    billed = 0
    for _ in range(n):
        out = lam.invoke(FunctionName=name, LogType="Tail")
        billed += int(re.search(r"Billed Duration: (\d+) ms", base64.b64decode(out["LogResult"]).decode()).group(1))  # type: ignore[union-attr]
    return billed / 1000 * MEMORY / 1024 * GB_SECOND + n * REQUEST
