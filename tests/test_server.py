"""`gureum up` as users and AWS clients see it: health, status, routing errors, bad input,
accounts and regions, shutdown, the data-dir lock, strict SigV4 auth."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import botocore.exceptions
import pytest
from harness import ROOT, GureumProcess
from waiting import wait_for


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


SIGV4 = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{svc}/aws4_request, SignedHeaders=host, Signature=00"


def test_health_reports_version_uptime_and_every_service_state(gureum: GureumProcess) -> None:
    doc = gureum.health()
    assert doc["version"]
    assert doc["uptime"] >= 0
    assert doc["endpoints"]["aws"].endswith(f":{gureum.port}")
    assert doc["services"]["sts"]["state"] == "available"
    for name, st in doc["services"].items():
        assert st["state"] in ("available", "running", "starting", "disabled", "failed"), name
        if st["state"] in ("disabled", "failed"):
            assert st["reason"]


def test_health_is_503_until_every_component_serves_then_dns_answers_at_once(tmp_path: Path) -> None:
    """A script that waits for health and then queries DNS must get its answer on the first
    query: health says `ready` (200) only once every enabled component serves."""
    import os

    import dns.message
    import dns.query

    proc = GureumProcess(tmp_path / "data")
    proc.data_dir.mkdir(parents=True)
    log = open(proc.log_path, "ab")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc.proc = subprocess.Popen(proc.command(), stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT), env=env)
    log.close()
    try:
        seen: set[int] = set()
        doc: dict[str, object] = {}

        def answered() -> bool:  # 503 while starting (checked on the way), then 200
            nonlocal doc
            try:
                with urllib.request.urlopen(proc.endpoint + "/_gureum/health", timeout=2) as resp:
                    seen.add(resp.status)
                    doc = json.load(resp)
                    return True
            except urllib.error.HTTPError as e:
                seen.add(e.code)
                starting = json.load(e)
                assert starting["ready"] is False
                assert any(c["state"] == "starting" for c in starting["components"].values())
            except OSError:
                pass
            return False

        wait_for("health answered 200", answered, timeout=30, interval=0.005)
        assert doc.get("ready") is True, doc
        states = doc["components"]  # type: ignore[union-attr]
        assert states["dns"]["state"] == "running", doc  # type: ignore[index]
        # the rest serve, or idle until they have work (gureum/services/manifest.py Idle)
        assert all(c["state"] in ("running", "idle") for c in states.values()), doc  # type: ignore[union-attr]
        q = dns.message.make_query("nothing.example.", "A")
        answer = dns.query.udp(q, "127.0.0.1", port=proc.dns_port, timeout=1.0)
        assert answer.id == q.id
    finally:
        proc.stop()


def test_health_in_strict_mode_tells_state_only(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict", "--set", "auth.keys=AKIDEXAMPLE1:s3cr3t:111122223333"])
    proc.start()
    try:
        doc = proc.health()
        assert doc["ready"] is True
        assert "dataDir" not in doc and "endpoints" not in doc and "version" not in doc
        assert str(proc.data_dir) not in json.dumps(doc)
        assert doc["services"]["sts"]["state"] == "available"
    finally:
        proc.stop()


def test_status_command_prints_a_table_of_services(gureum: GureumProcess) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gureum", "status", "--endpoint", gureum.endpoint],
        capture_output=True, text=True, cwd=ROOT, timeout=30,
    )
    assert out.returncode == 0, out.stderr
    assert "SERVICE" in out.stdout and "STATE" in out.stdout
    assert any(line.split()[:2] == ["sts", "available"] for line in out.stdout.splitlines())


def test_sts_get_caller_identity_through_boto3_and_the_aws_cli(gureum: GureumProcess) -> None:
    ident = gureum.client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    cli = gureum.aws("sts", "get-caller-identity")
    assert cli["Account"] == "000000000000"


def test_a_twelve_digit_access_key_is_that_account(gureum: GureumProcess) -> None:
    ident = gureum.client("sts", aws_access_key_id="123456789012").get_caller_identity()
    assert ident["Account"] == "123456789012"


def test_unknown_service_gets_an_aws_shaped_error(gureum: GureumProcess) -> None:
    status, headers, body = _post(
        gureum.endpoint + "/", b"{}",
        {"Authorization": SIGV4.format(svc="nosuchservice"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "X.Y"},
    )
    assert status == 400
    doc = json.loads(body)
    assert doc["__type"] == "UnknownService"
    assert "x-amzn-requestid" in {k.lower() for k in headers}


def test_an_aws_service_gureum_does_not_implement_is_named_as_not_implemented(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/", b"{}",
        {"Authorization": SIGV4.format(svc="glacier"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Glacier.ListVaults"},
    )
    assert status == 501
    doc = json.loads(body)
    assert doc["__type"] == "NotImplemented"
    assert "does not implement the glacier service" in doc["message"]
    assert "glacier" not in doc["message"].split("implements:")[1]


def test_unknown_json_operation_is_unknown_operation_exception(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/", b"{}",
        {"Authorization": SIGV4.format(svc="logs"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.NoSuchThing"},
    )
    assert status == 400
    assert json.loads(body)["__type"] == "UnknownOperationException"


def test_unknown_query_action_is_invalid_action(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/", b"Action=NoSuchAction&Version=2011-06-15",
        {"Authorization": SIGV4.format(svc="sts"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    assert b"<Code>InvalidAction</Code>" in body


def test_malformed_json_body_is_a_400_serialization_error(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/", b"{not json",
        {"Authorization": SIGV4.format(svc="logs"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
    )
    assert status == 400
    assert json.loads(body)["__type"] == "SerializationException"


def test_malformed_xml_body_is_a_400(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/2013-04-01/hostedzone", b"<CreateHostedZoneRequest><Name>",
        {"Authorization": SIGV4.format(svc="route53"), "Content-Type": "application/xml"},
    )
    assert status == 400
    assert b"<Code>MalformedXML</Code>" in body


def test_model_validation_errors_use_the_services_code_and_aws_wording(gureum: GureumProcess) -> None:
    # The CLI/boto3 validate client-side too, so send the request raw.
    status, _, body = _post(
        gureum.endpoint + "/", b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=5",
        {"Authorization": SIGV4.format(svc="sts"), "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    assert b"<Code>ValidationError</Code>" in body
    assert b"1 validation error detected: Value '5' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900" in body


def test_wrong_type_in_json_is_rejected_not_crashing(gureum: GureumProcess) -> None:
    status, _, body = _post(
        gureum.endpoint + "/", b'{"limit": "many"}',
        {"Authorization": SIGV4.format(svc="logs"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
    )
    assert status == 400
    assert json.loads(body)["__type"] == "SerializationException"


def test_gureum_endpoint_404_is_json(gureum: GureumProcess) -> None:
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(gureum.endpoint + "/_gureum/nope", timeout=5)
    assert exc.value.code == 404
    assert json.loads(exc.value.read())["error"] == "NotFound"


def test_sigterm_stops_cleanly_with_exit_code_zero(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data")
    proc.start()
    assert proc.stop(signal.SIGTERM) == 0


def test_sigint_stops_cleanly_with_exit_code_zero(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data")
    proc.start()
    assert proc.stop(signal.SIGINT) == 0


def test_a_second_gureum_on_the_same_data_dir_refuses(fresh_gureum: GureumProcess) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "gureum", "up", "--port", "0", "--dns-port", "0", "--data-dir", str(fresh_gureum.data_dir)],
        capture_output=True, text=True, cwd=ROOT, timeout=30,
    )
    assert out.returncode == 1
    assert "already running" in out.stderr


def test_ephemeral_data_dir_is_removed_on_exit(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "unused", extra_args=["--ephemeral"])
    proc.start()
    data_dir = Path(proc.health()["dataDir"])
    assert data_dir.exists()
    assert proc.stop() == 0
    assert not data_dir.exists()


def test_strict_auth_checks_sigv4_signatures(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict", "--set", "auth.keys=AKIDEXAMPLE1:s3cr3t:111122223333"])
    proc.start()
    try:
        good = proc.client("sts", aws_access_key_id="AKIDEXAMPLE1", aws_secret_access_key="s3cr3t")
        assert good.get_caller_identity()["Account"] == "111122223333"
        bad = proc.client("sts", aws_access_key_id="AKIDEXAMPLE1", aws_secret_access_key="wrong")
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            bad.get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        unknown = proc.client("sts", aws_access_key_id="AKIDNOBODY", aws_secret_access_key="x")
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            unknown.get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
        # A presigned URL (query-string SigV4) is verified too.
        url = good.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert b"111122223333" in resp.read()
        tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
        with pytest.raises(urllib.error.HTTPError) as http_exc:
            urllib.request.urlopen(tampered, timeout=10)
        assert http_exc.value.code == 403
    finally:
        proc.stop()


def test_strict_auth_refuses_requests_signed_too_long_ago(tmp_path: Path) -> None:
    import datetime as dt
    from unittest import mock

    proc = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict", "--set", "auth.keys=AKIDEXAMPLE1:s3cr3t"])
    proc.start()
    try:
        client = proc.client("sts", aws_access_key_id="AKIDEXAMPLE1", aws_secret_access_key="s3cr3t")
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        with mock.patch("botocore.auth.get_current_datetime", return_value=old.replace(tzinfo=None)):
            with pytest.raises(botocore.exceptions.ClientError) as exc:
                client.get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "RequestExpired"
    finally:
        proc.stop()


def test_an_oversized_body_is_a_413_not_a_crash(tmp_path: Path) -> None:
    proc = GureumProcess(tmp_path / "data", extra_args=["--set", "api.max_body_bytes=1000"])
    proc.start()
    try:
        status, _, body = _post(
            proc.endpoint + "/", b"{" + b" " * 5000 + b"}",
            {"Authorization": SIGV4.format(svc="logs"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328.DescribeLogGroups"},
        )
        assert status == 413
        assert json.loads(body)["__type"] == "RequestEntityTooLarge"
        assert proc.health()["version"]
    finally:
        proc.stop()


def test_a_handler_bug_is_a_logged_500_internal_failure_without_traceback(tmp_path: Path) -> None:
    import asyncio

    from gureum.app import App
    from gureum.aws import dispatch, edge
    from gureum.config import Config
    from gureum.http.server import Headers, Request

    class _Once:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def __aiter__(self):  # type: ignore[no-untyped-def]
            return self

        async def __anext__(self) -> bytes:
            if not self.data:
                raise StopAsyncIteration
            data, self.data = self.data, b""
            return data

    def broken(ctx, params):  # type: ignore[no-untyped-def]
        raise KeyError("a bug")

    key = ("sts", "GetAccessKeyInfo")
    saved = dispatch._HANDLERS.get(key)
    dispatch._HANDLERS[key] = broken
    edge._loaded.add("sts")
    try:
        app = App(Config(data_dir=tmp_path))
        req = Request(
            "POST", "/", "", Headers([("content-type", "application/x-www-form-urlencoded"),
                                      ("authorization", SIGV4.format(svc="sts"))]),
            ("127.0.0.1", 1), ("127.0.0.1", 2), _Once(b"Action=GetAccessKeyInfo&Version=2011-06-15&AccessKeyId=AKIAXXXXXXXXXXXXXXXX"),  # type: ignore[arg-type]
        )
        resp = asyncio.run(edge.handle(app, req))
    finally:
        if saved is None:
            dispatch._HANDLERS.pop(key, None)
        else:
            dispatch._HANDLERS[key] = saved
    assert resp.status == 500
    assert b"<Code>InternalFailure</Code>" in resp.body  # type: ignore[operator]
    assert b"Traceback" not in resp.body  # type: ignore[operator]


def test_connection_close_is_honoured(gureum: GureumProcess) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", gureum.port), timeout=5) as s:
        s.sendall(b"GET /_gureum/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):  # the server closes: recv returns b"" instead of hanging
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in data.lower()


def test_http_1_0_without_keep_alive_is_closed(gureum: GureumProcess) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", gureum.port), timeout=5) as s:
        s.sendall(b"GET /_gureum/health HTTP/1.0\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
