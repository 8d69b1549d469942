"""Model validation at the wire layer in AWS's words (gureum/aws/validate.py): the Java patterns
Python's `re` cannot read (every tag key/value pattern's `\\p{L}` classes) are checked; nested
paths are lower-camel-cased segment by segment ('tags.6.member.value'); maps are reported
whole ('Map value must satisfy constraint: [...]'); sensitive values are not echoed. Each
expected text is one AWS answered (quoted where noted)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from gureum.aws import specs
from gureum.aws.errors import AwsError
from gureum.aws.validate import validate

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambda_"))
from lambda_helpers import TRUST, zip_of  # noqa: E402

TAG_VALUE = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"


def refusal(service: str, operation: str, params: dict[str, Any]) -> AwsError:
    spec = specs.load(service)
    with pytest.raises(AwsError) as e:
        validate(spec, spec.operation(operation).input, params)
    return e.value


def test_iam_tag_value_pattern_is_checked_with_aws_path() -> None:
    # AWS (IAM CreateUser): "1 validation error detected: Value '...' at 'tags.6.member.value'
    # failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}...]*"
    err = refusal("iam", "TagUser", {"UserName": "u", "Tags": [{"Key": "a", "Value": "b"}, {"Key": "k", "Value": "x,y"}]})
    assert (err.code, err.message) == ("ValidationError", "1 validation error detected: Value 'x,y' at 'tags.2.member.value'"
                                                          f" failed to satisfy constraint: Member must satisfy regular expression pattern: {TAG_VALUE}")


def test_unicode_letters_pass_the_java_classes() -> None:
    spec = specs.load("iam")
    validate(spec, spec.operation("TagUser").input, {"UserName": "u", "Tags": [{"Key": "키 1", "Value": "héllo 값"}]})


def test_lambda_tag_map_is_reported_whole() -> None:
    # AWS (Lambda TagResource): "Value '{Creator=...}' at 'tags' failed to satisfy constraint: Map value
    # must satisfy constraint: [Member must have length less than or equal to 256, Member must have
    # length greater than or equal to 0, Member must satisfy regular expression pattern: ...]"
    err = refusal("lambda", "TagResource", {"Resource": "arn:aws:lambda:us-east-1:000000000000:function:f",
                                            "Tags": {"Creator": "a,b", "ok": "x"}})
    assert err.code == "ValidationException"
    assert err.message == ("1 validation error detected: Value '{Creator=a,b, ok=x}' at 'tags' failed to satisfy "
                           "constraint: Map value must satisfy constraint: [Member must have length less than or equal "
                           "to 256, Member must have length greater than or equal to 0, Member must satisfy regular "
                           "expression pattern: ([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)]")


def test_sensitive_values_are_not_echoed() -> None:
    # AWS (Lambda CreateFunction): "Value at 'environment.variables' failed to satisfy constraint: Map keys
    # must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
    err = refusal("lambda", "CreateFunction", {"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r",
                                               "Code": {}, "Environment": {"Variables": {"A": "1"}}})
    assert err.message == ("1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: "
                           "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
                           "[a-zA-Z]([a-zA-Z0-9_])+]")
    err = refusal("iam", "CreateLoginProfile", {"UserName": "u", "Password": ""})
    assert err.message == ("1 validation error detected: Value at 'password' failed to satisfy constraint: "
                           "Member must have length greater than or equal to 1")
    assert "secret" not in refusal("iam", "CreateLoginProfile", {"UserName": "u", "Password": "secret" * 30}).message


def test_route53_ascii_only_caller_reference() -> None:
    err = refusal("route53", "CreateCidrCollection", {"Name": "c", "CallerReference": "réf"})
    assert err.code == "InvalidInput" and "at 'callerReference'" in err.message


def test_the_refusals_reach_clients_over_the_wire(gureum: Any) -> None:
    loose = Config(retries={"max_attempts": 1}, parameter_validation=False)
    iam = gureum.client("iam", config=loose)
    n = uuid.uuid4().hex[:8]
    with pytest.raises(ClientError) as e:
        iam.create_user(UserName=f"vu-{n}", Tags=[{"Key": "k", "Value": "x,y"}])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    assert "at 'tags.1.member.value' failed to satisfy constraint" in e.value.response["Error"]["Message"]
    lam = gureum.client("lambda", config=loose)
    role = gureum.client("iam").create_role(RoleName=f"vr-{n}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    with pytest.raises(ClientError) as e:
        lam.create_function(FunctionName=f"vf-{n}", Runtime="python3.12", Role=role, Handler="a.h",
                            Code={"ZipFile": zip_of({"a.py": ""})}, Environment={"Variables": {"A": "1"}})
    assert e.value.response["Error"]["Message"].startswith(
        "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys")


def test_java_predefined_classes_are_ascii_in_every_service() -> None:
    # Java's \w, \d and \s are ASCII (IAM, STS, Logs and Lambda refuse 'José' where the model
    # says [\w+=,.@-]*); Python's are Unicode. Inside a class, [\S\s] still takes every character.
    err = refusal("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::000000000000:role/r", "RoleSessionName": "José"})
    assert (err.code, err.message) == ("ValidationError", "1 validation error detected: Value 'José' at 'roleSessionName' "
                                       "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                                       "[\\w+=,.@-]*")
    err = refusal("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::000000000000:role/r", "RoleSessionName": "s",
                                        "SerialNumber": "m", "TokenCode": "١٢٣٤٥٦"})
    assert "at 'tokenCode'" in err.message and "pattern: [\\d]*" in err.message
    err = refusal("logs", "PutDeliveryDestination", {"name": "dést", "deliveryDestinationConfiguration": {
        "destinationResourceArn": "arn:aws:s3:::b"}})
    assert err.code == "InvalidParameterException" and "at 'name'" in err.message
    spec = specs.load("ce")
    validate(spec, spec.operation("GetSavingsPlanPurchaseRecommendationDetails").input,
             {"RecommendationDetailId": "\u00a0ééééééé-ab c-abcd-abcd-abcdefabcdef"})


def test_lists_of_scalars_are_reported_whole() -> None:
    # AWS (Lambda CreateFunction): "Value '[foo]' at 'architectures' failed to satisfy constraint: Member
    # must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]";
    # a list's own bounds echo it as Java prints it ('[x86_64, arm64]').
    base = {"FunctionName": "f", "Role": "arn:aws:iam::000000000000:role/r", "Code": {}}
    err = refusal("lambda", "CreateFunction", {**base, "Architectures": ["foo"]})
    assert err.message == ("1 validation error detected: Value '[foo]' at 'architectures' failed to satisfy constraint: "
                           "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], "
                           "Member must not be null]")
    err = refusal("lambda", "CreateFunction", {**base, "Architectures": ["x86_64", "arm64"]})
    assert err.message == ("1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy "
                           "constraint: Member must have length less than or equal to 1")
