"""What an idle node holds (issue 28, "a leaner node"): importing every component a node starts
and the edge routes every request passes ("/", the registry's "/v2/", and "/_gureum/", which
health checks pass) loads none of the heavy
modules that only some requests need: cryptography and dnspython's DNSSEC (signed zones,
sealed secrets, SNS signatures), JOSE and OTP (Cognito sign-ins), websockets (API Gateway
WebSocket APIs), aiosmtpd and SES's receiving pipeline (mail arriving). Each is imported on
first use. Checked in a fresh interpreter, as `gureum up` imports them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from harness import ROOT, GureumProcess

HEAVY = ("cryptography", "dns.dnssec", "joserfc", "pyotp", "websockets", "aiosmtpd", "gureum.services.ses.inbound")

_PROBE = f"""
import importlib, json, sys
from gureum.services import registry
for entry, _ in registry.COMPONENTS.values():
    importlib.import_module(entry.split(":")[0])
for prefix in ("/", "/v2/", "/_gureum/"):
    for entry in registry.EDGE_ROUTES.get(prefix, ()):
        registry.load_entry(entry)
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_components_and_the_common_edge_routes_load_no_heavy_library() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_a_node_given_no_setting_serves_its_services_on_their_defaults(tmp_path: Path) -> None:
    """With no --set and no GUREUM_* variable the start reads no package's settings class
    (App.read_settings): each component reads its own, with defaults, when it first runs."""
    node = GureumProcess(tmp_path / "data", settings_free=True)
    node.start()
    try:
        sqs = node.client("sqs")
        url = sqs.create_queue(QueueName="bare")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="on defaults")
        assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]["Body"] == "on defaults"
        s3 = node.client("s3")
        s3.create_bucket(Bucket="bare")
        s3.put_object(Bucket="bare", Key="k", Body=b"v")
        assert s3.get_object(Bucket="bare", Key="k")["Body"].read() == b"v"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "def handler(event, context):\n    return {'got': event}\n")
        lam = node.client("lambda")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = node.client("iam").create_role(RoleName="bare", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam.create_function(FunctionName="bare", Runtime="python3.12", Role=role,
                            Handler="app.handler", Code={"ZipFile": buf.getvalue()})
        lam.get_waiter("function_active_v2").wait(FunctionName="bare")
        out = lam.invoke(FunctionName="bare", Payload=b'{"a": 1}')
        assert json.loads(out["Payload"].read()) == {"got": {"a": 1}}
        node.client("ecs").list_clusters()
        node.wait_service("ecs", "running", timeout=60)
        doc = node.health()
        assert doc["ready"] is True
        assert not [name for name, c in doc["components"].items() if c["state"] == "failed"], doc["components"]
    finally:
        node.stop()
