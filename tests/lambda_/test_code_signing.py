"""Code signing configurations: stored and listed as AWS's, attached to functions; under
Enforce an unsigned zip (every zip here: gureum serves no AWS Signer) is refused with
CodeVerificationFailedException at CreateFunction and UpdateFunctionCode, under Warn it is
deployed; a configuration in use cannot be deleted."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import invoke_json, zip_of

PROFILE = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/gureum/abcdef1234"
CODE = "def handler(event, context):\n    return 'v1'\n"


def _code(err: ClientError) -> str:
    return str(err.response["Error"]["Code"])


def test_code_signing_configs_crud_and_listing(lam, make_function):
    made = lam.create_code_signing_config(Description="team", AllowedPublishers={"SigningProfileVersionArns": [PROFILE]})
    csc = made["CodeSigningConfig"]
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert csc["CodeSigningConfigId"].startswith("csc-") and len(csc["CodeSigningConfigId"]) == 21
    assert csc["CodeSigningConfigArn"].endswith(":code-signing-config:" + csc["CodeSigningConfigId"])
    assert csc["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}  # AWS's default
    arn = csc["CodeSigningConfigArn"]
    got = lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]
    assert got["AllowedPublishers"]["SigningProfileVersionArns"] == [PROFILE]
    updated = lam.update_code_signing_config(CodeSigningConfigArn=arn, Description="changed",
                                             CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})["CodeSigningConfig"]
    assert updated["Description"] == "changed"
    assert updated["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"] == "Enforce"
    assert arn in [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()["CodeSigningConfigs"]]

    name = make_function(CODE)
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == ""
    put = lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    assert put["CodeSigningConfigArn"] == arn and put["FunctionName"] == name
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == arn
    fns = lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)["FunctionArns"]
    assert [a.rsplit(":", 1)[1] for a in fns] == [name]
    with pytest.raises(ClientError) as err:  # in use
        lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    assert _code(err.value) == "ResourceConflictException"
    lam.delete_function_code_signing_config(FunctionName=name)
    lam.delete_code_signing_config(CodeSigningConfigArn=arn)
    with pytest.raises(ClientError) as err:
        lam.get_code_signing_config(CodeSigningConfigArn=arn)
    assert _code(err.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=arn)
    assert _code(err.value) == "CodeSigningConfigNotFoundException"


def test_enforce_refuses_unsigned_code_and_warn_deploys_it(lam, role_arn, make_function):
    enforce = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
                                             CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})
    enforce_arn = enforce["CodeSigningConfig"]["CodeSigningConfigArn"]
    name = f"fn-{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as err:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                            Code={"ZipFile": zip_of({"app.py": CODE})}, CodeSigningConfigArn=enforce_arn)
    assert _code(err.value) == "CodeVerificationFailedException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        lam.get_function(FunctionName=name)
    assert _code(err.value) == "ResourceNotFoundException"  # nothing was created

    warn = lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": [PROFILE]},
                                          CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})
    warn_arn = warn["CodeSigningConfig"]["CodeSigningConfigArn"]
    name = make_function(CODE, CodeSigningConfigArn=warn_arn)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    assert invoke_json(lam, name)[1] == "v1"
    assert lam.get_function_code_signing_config(FunctionName=name)["CodeSigningConfigArn"] == warn_arn

    # the function moves to an enforcing configuration: its running code stays, new code is refused
    lam.put_function_code_signing_config(FunctionName=name, CodeSigningConfigArn=enforce_arn)
    with pytest.raises(ClientError) as err:
        lam.update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": CODE.replace("v1", "v2")}))
    assert _code(err.value) == "CodeVerificationFailedException"
    assert invoke_json(lam, name)[1] == "v1"
    lam.delete_function_code_signing_config(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": CODE.replace("v1", "v2")}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    assert invoke_json(lam, name)[1] == "v2"


def test_a_bad_signing_profile_arn_is_refused(lam):
    with pytest.raises(ClientError) as err:
        lam.create_code_signing_config(AllowedPublishers={"SigningProfileVersionArns": ["arn:aws:s3:::bucket"]})
    assert _code(err.value) == "InvalidParameterValueException"
