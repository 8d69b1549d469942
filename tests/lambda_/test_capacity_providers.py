"""Capacity providers need EC2 subnets, which gureum does not serve: creating one fails as
Lambda fails for a subnet EC2 does not know, none can be found or listed, functions cannot
name one, and function scaling configs answer that the function uses no capacity provider."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    r = err.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_capacity_providers_answer_as_aws_without_ec2(lam, make_function, role_arn):
    code, message, status = _error(
        lam.create_capacity_provider, CapacityProviderName="cp",
        VpcConfig={"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
        PermissionsConfig={"CapacityProviderOperatorRoleArn": role_arn})
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "InvalidSubnetID.NotFound" in message and "subnet-0123456789abcdef0" in message
    assert lam.list_capacity_providers()["CapacityProviders"] == []
    for call in (lam.get_capacity_provider, lam.delete_capacity_provider, lam.list_function_versions_by_capacity_provider):
        assert _error(call, CapacityProviderName="cp")[0] == "ResourceNotFoundException"
    assert _error(lam.update_capacity_provider, CapacityProviderName="cp",
                  CapacityProviderScalingConfig={"ScalingMode": "Auto"})[0] == "ResourceNotFoundException"

    name = make_function("def handler(e, c):\n    return 1\n")
    assert _error(lam.get_function_scaling_config, FunctionName=name, Qualifier="$LATEST.PUBLISHED")[0] == \
        "InvalidParameterValueException"
    assert _error(lam.put_function_scaling_config, FunctionName=name, Qualifier="$LATEST.PUBLISHED",
                  FunctionScalingConfig={"MinExecutionEnvironments": 1})[0] == "InvalidParameterValueException"
    assert _error(lam.get_function_scaling_config, FunctionName=name + "-gone", Qualifier="$LATEST.PUBLISHED")[0] == \
        "ResourceNotFoundException"
    assert _error(lam.update_function_configuration, FunctionName=name, CapacityProviderConfig={
        "LambdaManagedInstancesCapacityProviderConfig": {
            "CapacityProviderArn": "arn:aws:lambda:us-east-1:000000000000:capacity-provider:cp"}})[0] == \
        "InvalidParameterValueException"
