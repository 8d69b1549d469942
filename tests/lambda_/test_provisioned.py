"""Provisioned concurrency: environments initialised ahead for a version or an alias
(AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, initializationType in the JSON
platform events), Status IN_PROGRESS then READY once that many are up, invocations through
that qualifier run on them, and the allocation counts against the function's reservation."""

from __future__ import annotations

import json
import textwrap

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import invoke_json, log_lines
from waiting import wait_for

PROBE = textwrap.dedent(
    """
    import os, uuid
    ENV_ID = uuid.uuid4().hex
    INIT_TYPE = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]
    def handler(event, context):
        return {"init": INIT_TYPE, "env": ENV_ID, "version": context.function_version}
    """
)


def _code(err: ClientError) -> str:
    return str(err.response["Error"]["Code"])


def _ready(lam, name: str, qualifier: str) -> dict:
    def check() -> dict | None:
        got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
        assert got["Status"] != "FAILED", got
        return got if got["Status"] == "READY" else None

    return wait_for(f"provisioned concurrency of {name}:{qualifier} READY", check, timeout=90)


def test_provisioned_environments_are_initialised_ahead_and_serve_the_alias(gureum, lam, make_function):
    name = make_function(PROBE, LoggingConfig={"LogFormat": "JSON"})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)

    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["Status"] == "IN_PROGRESS"
    ready = _ready(lam, name, "live")
    assert ready["AllocatedProvisionedConcurrentExecutions"] == 2
    assert ready["AvailableProvisionedConcurrentExecutions"] == 2

    # both environments were initialised before any invocation, as provisioned ones
    lines = log_lines(gureum, name, "initStart")
    starts = [json.loads(line)["record"] for line in lines if '"platform.initStart"' in line]
    assert [s["initializationType"] for s in starts] == ["provisioned-concurrency"] * 2, starts

    seen = set()
    for _ in range(3):
        resp, out = invoke_json(lam, name, Qualifier="live")
        assert out["init"] == "provisioned-concurrency", out
        assert resp["ExecutedVersion"] == version
        seen.add(out["env"])
    assert len(seen) <= 2  # no environment beyond the provisioned ones
    # $LATEST has no provisioned concurrency: an on-demand environment
    _, out = invoke_json(lam, name)
    assert out["init"] == "on-demand", out

    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed] == ["live"]
    assert listed[0]["Status"] == "READY"

    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    with pytest.raises(ClientError) as err:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert _code(err.value) == "ProvisionedConcurrencyConfigNotFoundException"
    _, out = invoke_json(lam, name, Qualifier="live")
    assert out["init"] == "on-demand", out


def test_provisioned_concurrency_rules_and_errors(lam, make_function):
    name = make_function(PROBE)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    with pytest.raises(ClientError) as err:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1)
    assert _code(err.value) == "InvalidParameterValueException"
    assert "unpublished function versions" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="7", ProvisionedConcurrentExecutions=1)
    assert _code(err.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="7")
    assert _code(err.value) == "ProvisionedConcurrencyConfigNotFoundException"

    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(ClientError) as err:  # more than the function's reservation
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2)
    assert _code(err.value) == "InvalidParameterValueException"

    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as err:  # the alias points at a version that has one
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=1)
    assert _code(err.value) == "ResourceConflictException"
    _ready(lam, name, version)

    # the reservation of 1 is all provisioned: on-demand invocations are throttled, the
    # provisioned version still runs
    with pytest.raises(ClientError) as err:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert _code(err.value) == "TooManyRequestsException"
    assert err.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    _, out = invoke_json(lam, name, Qualifier=version)
    assert out["init"] == "provisioned-concurrency", out


def test_provisioned_concurrency_is_billed_as_aws_bills_it(gureum, lam, make_function):
    import subprocess
    import sys

    from gureum.billing import prices

    name = make_function(PROBE, MemorySize=256)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    _ready(lam, name, version)
    _, out = invoke_json(lam, name, Qualifier=version)
    assert out["init"] == "provisioned-concurrency"

    def billed() -> dict | None:
        run = subprocess.run([sys.executable, "-m", "gureum", "costs", "--json", "--endpoint", gureum.endpoint],
                             capture_output=True, text=True, timeout=60, env=gureum.env)
        assert run.returncode == 0, run.stderr
        rows = [r for r in json.loads(run.stdout)["lambda"] if r["function"].endswith(f":function:{name}")]
        return rows[0] if rows and rows[0]["provisionedGbSeconds"] and rows[0]["provisionedDurationGbSeconds"] else None

    row = wait_for("provisioned concurrency in gureum costs", billed, timeout=60, interval=0.5)
    # one environment of 256 MB, enabled for less than 5 minutes: billed for 5 minutes
    assert row["provisionedGbSeconds"] == 300 * 0.25
    assert row["requests"] == 1
    assert row["cost"] > 300 * 0.25 * prices.LAMBDA_PC_GB_SECOND["x86_64"]


def test_provisioned_prices_are_aws_us_east_1():
    from gureum.billing import prices

    assert abs(prices.lambda_cost(0, {}, {"x86_64": 1.0}) - 0.0000097222) < 1e-12
    assert abs(prices.lambda_cost(0, {}, None, {"x86_64": 1.0}) - 0.0000041667) < 1e-12
    assert abs(prices.lambda_cost(0, {}, {"arm64": 1.0}, {"arm64": 1.0}) - (0.0000077778 + 0.0000033334)) < 1e-12


def test_deleting_the_alias_deletes_its_provisioned_concurrency(lam, make_function):
    name = make_function(PROBE)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live", ProvisionedConcurrentExecutions=2)
    _ready(lam, name, "live")
    lam.delete_alias(FunctionName=name, Name="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"] == []
    # its allocation is back in the reservation: the version takes 2 again
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=2)
    assert _ready(lam, name, version)["AllocatedProvisionedConcurrentExecutions"] == 2
