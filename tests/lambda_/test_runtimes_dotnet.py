"""dotnet8 / dotnet10: no registry this host reaches serves a .NET 8/10 runtime with a Lambda
client for it (see gureum/services/lambda_/runtimes/dotnet.py), so CreateFunction accepts the
identifiers as AWS does, `toolchain()` says what is missing, `install()` refuses with the
reason, and an invoke fails its init with Runtime.Unavailable naming it: never a 500, never
another runtime standing in."""

from __future__ import annotations

import time
from typing import Any

import pytest
from lambda_helpers import invoke_json

from gureum.services.lambda_.runtimes import RUNTIMES
from gureum.services.lambda_.runtimes.base import RuntimeUnavailable

DOTNETS = ["dotnet8", "dotnet10"]


def _logged(logs: Any, group: str, text: str, deadline_s: float = 20.0) -> bool:
    """Whether a line containing `text` reaches the log group before the deadline."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if any(text in e["message"] for e in events):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("runtime", DOTNETS)
def test_dotnet_toolchain_and_install_say_what_is_missing(runtime):
    rt = RUNTIMES[runtime]
    tc = rt.toolchain()
    assert not tc.installed and not tc.exact and tc.version == "" and tc.path == ""
    major = runtime.removeprefix("dotnet")
    assert f".NET {major} runtime" in tc.source and "Amazon.Lambda.RuntimeSupport" in tc.source
    with pytest.raises(RuntimeUnavailable, match=f"{runtime} needs the .NET {major} runtime"):
        rt.install()


@pytest.mark.parametrize("runtime", DOTNETS)
def test_dotnet_function_is_created_and_its_invoke_fails_init_clearly(gureum, lam, make_function, runtime):
    handler = "HelloWorld::HelloWorld.Function::FunctionHandler"
    name = make_function({"HelloWorld.dll": b"MZ\x90\x00", "HelloWorld.runtimeconfig.json": "{}"}, runtime=runtime, handler=handler)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["Runtime"] == runtime and cfg["Handler"] == handler
    resp, out = invoke_json(lam, name, {"x": 1}, LogType="Tail")
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.Unavailable"
    assert f"{runtime} needs the .NET {runtime.removeprefix('dotnet')} runtime" in out["errorMessage"]
    assert _logged(gureum.client("logs"), f"/aws/lambda/{name}", f"gureum: {runtime} needs the .NET")
    # the next invoke tries again (an install could have happened): the same clear answer
    assert invoke_json(lam, name)[1]["errorType"] == "Runtime.Unavailable"
