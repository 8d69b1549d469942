"""The responses of the operations issue 25 added to Lambda, walked against botocore's
output shapes (tests/aws/shape_check.py): provisioned concurrency, code signing, recursion,
layer and resource policies, runtime management, durable executions, capacity providers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "aws"))
from lambda_helpers import zip_of  # noqa: E402
from shape_check import ShapeRecorder  # noqa: E402
from test_durable import APP, _sdk_files  # noqa: E402
from waiting import wait_for  # noqa: E402

PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/gureum/abcdef1234"


def test_new_lambda_responses_match_the_model(gureum: Any, make_function: Any) -> None:
    lam = gureum.client("lambda")
    rec = ShapeRecorder(lam)
    name = make_function("def handler(e, c):\n    return 1\n")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version, ProvisionedConcurrentExecutions=1)
    wait_for("READY", lambda: lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)["Status"] == "READY")
    lam.list_provisioned_concurrency_configs(FunctionName=name)
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)

    csc = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})["CodeSigningConfig"]
    lam.get_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])
    lam.update_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"], Description="d")
    lam.list_code_signing_configs()
    lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=csc["CodeSigningConfigArn"])
    lam.get_function_code_signing_config(FunctionName=name)
    lam.list_functions_by_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])
    lam.delete_function_code_signing_config(FunctionName=name)
    lam.delete_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])

    lam.put_function_recursion_config(FunctionName=name, RecursiveLoop="Allow")
    lam.get_function_recursion_config(FunctionName=name)
    layer = lam.publish_layer_version(LayerName=f"{name}-layer", Content={"ZipFile": zip_of({"x.txt": "x"})})
    lam.add_layer_version_permission(LayerName=f"{name}-layer", VersionNumber=layer["Version"], StatementId="s",
                                     Action="lambda:GetLayerVersion", Principal="*")
    lam.get_layer_version_policy(LayerName=f"{name}-layer", VersionNumber=layer["Version"])
    lam.remove_layer_version_permission(LayerName=f"{name}-layer", VersionNumber=layer["Version"], StatementId="s")
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "a", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                      "Action": "lambda:InvokeFunction", "Resource": arn}]}
    lam.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
    lam.get_resource_policy(ResourceArn=arn)
    lam.delete_resource_policy(ResourceArn=arn)
    lam.get_runtime_management_config(FunctionName=name)
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="FunctionUpdate")
    lam.list_capacity_providers()

    durable = make_function({"app.py": APP, **_sdk_files()}, runtime="python3.11", Timeout=30, DurableConfig={"ExecutionTimeout": 300})
    lam.get_waiter("function_active_v2").wait(FunctionName=durable)
    execution = lam.invoke(FunctionName=durable, Payload=json.dumps({"x": 1}).encode())["DurableExecutionArn"]
    lam.get_durable_execution(DurableExecutionArn=execution)
    lam.get_durable_execution_history(DurableExecutionArn=execution)
    waiting = lam.invoke(FunctionName=durable, InvocationType="Event", Payload=json.dumps({"x": 1, "approve": True}).encode())
    wait_for("the callback started", lambda: any(e["EventType"] == "CallbackStarted" for e in lam.get_durable_execution_history(
        DurableExecutionArn=waiting["DurableExecutionArn"])["Events"]), timeout=90)
    lam.pause_durable_execution(DurableExecutionArn=waiting["DurableExecutionArn"], Reason="maintenance", ExecutionTimeoutPaused=True)
    assert lam.get_durable_execution(DurableExecutionArn=waiting["DurableExecutionArn"])["Status"] == "PAUSED"
    lam.resume_durable_execution(DurableExecutionArn=waiting["DurableExecutionArn"], Reason="done")
    lam.get_durable_execution_history(DurableExecutionArn=waiting["DurableExecutionArn"])
    lam.stop_durable_execution(DurableExecutionArn=waiting["DurableExecutionArn"])
    lam.get_durable_execution_history(DurableExecutionArn=waiting["DurableExecutionArn"])
    lam.list_durable_executions_by_function(FunctionName=durable)
    lam.delete_durable_execution(DurableExecutionArn=execution)

    assert not rec.findings, rec.report()
    walked = {"PutProvisionedConcurrencyConfig", "GetProvisionedConcurrencyConfig", "ListProvisionedConcurrencyConfigs",
              "CreateCodeSigningConfig", "GetCodeSigningConfig", "UpdateCodeSigningConfig", "ListCodeSigningConfigs",
              "PutFunctionCodeSigningConfig", "GetFunctionCodeSigningConfig", "ListFunctionsByCodeSigningConfig",
              "PutFunctionRecursionConfig", "GetFunctionRecursionConfig", "AddLayerVersionPermission", "GetLayerVersionPolicy",
              "PutResourcePolicy", "GetResourcePolicy", "GetRuntimeManagementConfig", "PutRuntimeManagementConfig",
              "ListCapacityProviders", "GetDurableExecution", "GetDurableExecutionHistory", "ListDurableExecutionsByFunction",
              "StopDurableExecution", "DeleteDurableExecution", "Invoke"}
    assert walked <= set(rec.operations), sorted(walked - set(rec.operations))
