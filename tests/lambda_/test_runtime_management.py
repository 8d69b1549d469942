"""Runtime management configuration: Auto by default; Manual pins a RuntimeVersionArn of
gureum's runtime catalogue (the one GetFunction and INIT_START name), other ARNs refused."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import invoke_json, log_lines


def _code(err: ClientError) -> str:
    return str(err.response["Error"]["Code"])


def test_runtime_management_modes_and_manual_pinning(gureum, lam, make_function):
    name = make_function("def handler(e, c):\n    return 'ok'\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    got = lam.get_runtime_management_config(FunctionName=name)
    assert got["UpdateRuntimeOn"] == "Auto"
    assert got["FunctionArn"].endswith(f":function:{name}:$LATEST")
    assert "RuntimeVersionArn" not in got

    runtime_arn = lam.get_function(FunctionName=name)["Configuration"]["RuntimeVersionConfig"]["RuntimeVersionArn"]
    with pytest.raises(ClientError) as err:
        lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual")
    assert _code(err.value) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as err:
        lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Auto", RuntimeVersionArn=runtime_arn)
    assert _code(err.value) == "InvalidParameterValueException"
    with pytest.raises(ClientError) as err:
        lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual",
                                          RuntimeVersionArn="arn:aws:lambda:us-east-1::runtime:" + "0" * 64)
    assert _code(err.value) == "InvalidParameterValueException"

    put = lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=runtime_arn)
    assert put["UpdateRuntimeOn"] == "Manual" and put["RuntimeVersionArn"] == runtime_arn
    got = lam.get_runtime_management_config(FunctionName=name)
    assert got["UpdateRuntimeOn"] == "Manual" and got["RuntimeVersionArn"] == runtime_arn
    assert invoke_json(lam, name)[1] == "ok"  # the pinned version is the one that runs
    assert any(runtime_arn in line for line in log_lines(gureum, name, "INIT_START"))

    version = lam.publish_version(FunctionName=name)["Version"]
    assert lam.get_runtime_management_config(FunctionName=name, Qualifier=version)["UpdateRuntimeOn"] == "Auto"
    lam.put_runtime_management_config(FunctionName=name, Qualifier=version, UpdateRuntimeOn="FunctionUpdate")
    assert lam.get_runtime_management_config(FunctionName=name, Qualifier=version)["UpdateRuntimeOn"] == "FunctionUpdate"
    with pytest.raises(ClientError) as err:
        lam.get_runtime_management_config(FunctionName=name, Qualifier="42")
    assert _code(err.value) == "ResourceNotFoundException"
