"""ValidateTemplate, GetTemplateSummary and the template/parameter checks of CreateStack with
AWS's messages, through boto3 against a real gureum."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .helpers import error_of, settle, uniq


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _t(resources: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"Resources": resources, **extra})


@pytest.mark.parametrize(("body", "message"), [
    (_t({"A": {"Type": "AWS::SQS::Queue", "Properties": {"RedrivePolicy": {"Ref": "Nope"}}}}),
     "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"),
    (_t({"A": {"Type": "AWS::Foo::Bar"}, "B": {"Type": "AWS::Baz::Qux"}}),
     "Template format error: Unrecognized resource types: [AWS::Foo::Bar, AWS::Baz::Qux]"),
    (_t({"A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"}, "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"}}),
     "Circular dependency between resources: [A, B]"),
    (json.dumps({"Resources": {}}), "Template format error: At least one Resources member must be defined."),
    ('{"Resources": ', "Template format error: JSON not well-formed. (line 1, column 15)"),
    ("Resources:\n  A: [\n", "Template format error: YAML not well-formed. (line 3, column 1)"),
    (_t({"A": {"Properties": {}}}), "Template format error: [/Resources/A] Every Resources object must contain a Type member."),
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Outputs={"O": {"Value": {"Fn::GetAtt": ["Gone", "Arn"]}}}),
     "Template format error: Unresolved resource dependencies [Gone] in the Outputs block of the template"),
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Foo=1), "Template format error: Invalid template property or properties [Foo]"),
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Parameters={"P": {"Type": "Strang"}}),
     "Template format error: Unrecognized parameter type: Strang"),
    # each a 500 before: malformed sections reached the code as Python errors
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Mappings=5), "Template format error: Mappings must be an object"),
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Mappings={"M": {"k": 1}}),
     "Template format error: Mappings attribute M must be a map of maps"),
    (_t({"A": {"Type": "AWS::SQS::Queue"}}, Parameters={"P": {"Type": "String", "MinLength": "x"}}),
     "Template format error: Parameter 'P' MinLength must be a number"),
    # parameters and resources share one namespace (accepted before: the Ref was ambiguous)
    (_t({"Name": {"Type": "AWS::SQS::Queue"}, "Other": {"Type": "AWS::SQS::Queue"}, "Topic": {"Type": "AWS::SNS::Topic"}},
        Parameters={"Topic": {"Type": "String"}, "Name": {"Type": "String"}}),
     "Template error: all resources and parameters must have unique names. Common name(s):[Name, Topic]"),
])
def test_validate_template_refuses_with_aws_messages(cfn: Any, body: str, message: str) -> None:
    assert error_of(lambda: cfn.validate_template(TemplateBody=body)) == ("ValidationError", message)
    # CreateStack refuses the same template up front, creating nothing
    name = uniq("bad")
    assert error_of(lambda: cfn.create_stack(StackName=name, TemplateBody=body)) == ("ValidationError", message)
    assert error_of(lambda: cfn.describe_stacks(StackName=name))[1] == f"Stack with id {name} does not exist"


def test_outputs_conditions_and_mappings_may_share_a_resource_name(cfn: Any) -> None:
    """Only parameters and resources must not share a name: an output, a condition and a mapping
    named like a resource are a valid template, and a stack of it runs."""
    body = _t({"Queue": {"Type": "AWS::SQS::Queue", "Condition": "Queue",
                         "Properties": {"DelaySeconds": {"Fn::FindInMap": ["Queue", "Delay", "Seconds"]}}}},
              Conditions={"Queue": {"Fn::Equals": ["a", "a"]}}, Mappings={"Queue": {"Delay": {"Seconds": 3}}},
              Outputs={"Queue": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}}})
    assert cfn.validate_template(TemplateBody=body)["Parameters"] == []
    name = uniq("shared")
    cfn.create_stack(StackName=name, TemplateBody=body)
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert [o["OutputKey"] for o in stack["Outputs"]] == ["Queue"] and ":sqs:" in stack["Outputs"][0]["OutputValue"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_validate_template_describes_parameters_and_capabilities(cfn: Any) -> None:
    body = """
Description: with a role
Parameters:
  Name: {Type: String, Default: x, Description: the name}
  Secret: {Type: String, NoEcho: true}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Ref Name
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: []}
"""
    out = cfn.validate_template(TemplateBody=body)
    assert out["Description"] == "with a role"
    assert out["Parameters"] == [
        {"ParameterKey": "Name", "DefaultValue": "x", "NoEcho": False, "Description": "the name"},
        {"ParameterKey": "Secret", "NoEcho": True}]
    assert out["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert out["CapabilitiesReason"] == "The following resource(s) require capabilities: [AWS::IAM::Role]"
    summary = cfn.get_template_summary(TemplateBody=body)
    assert summary["ResourceTypes"] == ["AWS::IAM::Role"]
    assert [p["ParameterType"] for p in summary["Parameters"]] == ["String", "String"]
    code, message = error_of(lambda: cfn.create_stack(StackName=uniq(), TemplateBody=body,
                                                      Parameters=[{"ParameterKey": "Secret", "ParameterValue": "s"}]))
    assert (code, message) == ("InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")


PARAMS = json.dumps({
    "Parameters": {
        "Env": {"Type": "String", "AllowedValues": ["dev", "prod"]},
        "Code": {"Type": "String", "AllowedPattern": "[0-9]+", "Default": "1"},
        "Short": {"Type": "String", "MinLength": 2, "MaxLength": 3, "Default": "ab"},
        "Count": {"Type": "Number", "MinValue": 1, "MaxValue": 5, "Default": 2},
        "Nice": {"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription": "lower case only", "Default": "a"},
        "Ids": {"Type": "List<Number>", "Default": "1,2"},
        "FromSsm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cfn-test/none"},
        "Hidden": {"Type": "String", "NoEcho": True, "Default": "pw"},
    },
    "Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": {"Ref": "Count"}}}},
    "Outputs": {"FromSsm": {"Value": {"Ref": "FromSsm"}}, "Ids": {"Value": {"Fn::Join": ["+", {"Ref": "Ids"}]}}},
})


@pytest.mark.parametrize(("given", "message"), [
    ({}, "Parameters: [Env] must have values"),
    ({"Env": "test"}, "Parameter 'Env' must be one of AllowedValues"),
    ({"Env": "dev", "Code": "x1"}, "Parameter 'Code' must match pattern [0-9]+"),
    ({"Env": "dev", "Short": "a"}, "Parameter 'Short' must contain at least 2 characters"),
    ({"Env": "dev", "Short": "abcd"}, "Parameter 'Short' must contain at most 3 characters"),
    ({"Env": "dev", "Count": "0"}, "Parameter 'Count' must be a number not less than 1"),
    ({"Env": "dev", "Count": "9"}, "Parameter 'Count' must be a number not greater than 5"),
    ({"Env": "dev", "Count": "many"}, "Parameter 'Count' must be a number."),
    ({"Env": "dev", "Nice": "UP"}, "Parameter 'Nice' failed to satisfy constraint: lower case only"),
    ({"Env": "dev", "Nope": "x"}, "Parameters: [Nope] do not exist in the template"),
    ({"Env": "dev"}, "Unable to fetch parameters [/cfn-test/none] from parameter store for this account."),
])
def test_parameter_values_are_checked_with_aws_messages(cfn: Any, given: dict[str, str], message: str) -> None:
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]
    assert error_of(lambda: cfn.create_stack(StackName=uniq(), TemplateBody=PARAMS, Parameters=params)) == (
        "ValidationError", message)


def test_ssm_typed_parameters_resolve_and_no_echo_is_masked(cfn: Any, gureum: Any) -> None:
    ssm_name = "/" + uniq("cfn") + "/ami"
    gureum.client("ssm").put_parameter(Name=ssm_name, Value="ami-123", Type="String")
    name = uniq("p")
    cfn.create_stack(StackName=name, TemplateBody=PARAMS, Parameters=[
        {"ParameterKey": "Env", "ParameterValue": "dev"}, {"ParameterKey": "FromSsm", "ParameterValue": ssm_name}])
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    shown = {p["ParameterKey"]: p for p in stack["Parameters"]}
    assert shown["Hidden"]["ParameterValue"] == "****"
    assert shown["FromSsm"]["ParameterValue"] == ssm_name and shown["FromSsm"]["ResolvedValue"] == "ami-123"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs == {"FromSsm": "ami-123", "Ids": "1+2"}
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"


def test_property_validation_from_the_resource_schema_fails_the_resource(cfn: Any) -> None:
    name = uniq("pv")
    cfn.create_stack(StackName=name, TemplateBody=_t({"P": {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Valu": "x"}}}))
    stack = settle(cfn, name)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName=name)["StackEvents"] if e["ResourceStatus"] == "CREATE_FAILED"]
    assert failed[0]["ResourceStatusReason"] == ("Properties validation failed for resource P with message:\n"
                                                 "#: required key [Value] not found\n#: extraneous key [Valu] is not permitted")
