"""AWS::SES::ConfigurationSetEventDestination and AWS::SES::ContactList through boto3 against a
real gureum: a stack's SNS destination seen by v1 DescribeConfigurationSet and v2, its event
types and a CloudWatch destination changed in place, a new destination name making the new
one and removing the old; a contact list's topics changed in place, and a new name refused
by the one-list quota (the replacement is made first) and rolled back; delete removing them
all."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, settle, statuses, uniq


def _template(name: str, dest_name: str, types: list[str], topics: list[dict[str, str]], list_name: str,
              cloudwatch: bool) -> str:
    dest: dict[str, Any] = {"Name": dest_name, "Enabled": True, "MatchingEventTypes": types,
                            "SnsDestination": {"TopicARN": {"Ref": "Topic"}}}
    resources: dict[str, Any] = {
        "Topic": {"Type": "AWS::SNS::Topic"},
        "Set": {"Type": "AWS::SES::ConfigurationSet", "Properties": {"Name": f"{name}-set"}},
        "ToSns": {"Type": "AWS::SES::ConfigurationSetEventDestination",
                  "Properties": {"ConfigurationSetName": {"Ref": "Set"}, "EventDestination": dest}},
        "Customers": {"Type": "AWS::SES::ContactList",
                      "Properties": {"ContactListName": list_name, "Description": "customers", "Topics": topics}},
    }
    if cloudwatch:
        resources["ToMetrics"] = {"Type": "AWS::SES::ConfigurationSetEventDestination", "Properties": {
            "ConfigurationSetName": {"Ref": "Set"}, "EventDestination": {
                "Name": "metrics", "Enabled": True, "MatchingEventTypes": ["send", "renderingFailure"],
                "CloudWatchDestination": {"DimensionConfigurations": [{
                    "DimensionName": "campaign", "DimensionValueSource": "messageTag", "DefaultDimensionValue": "none"}]}}}}
    return json.dumps({"Resources": resources, "Outputs": {
        "Dest": {"Value": {"Ref": "ToSns"}}, "DestId": {"Value": {"Fn::GetAtt": ["ToSns", "Id"]}},
        "List": {"Value": {"Ref": "Customers"}}, "Topic": {"Value": {"Ref": "Topic"}}}})


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_event_destinations_and_contact_list_create_update_delete(gureum: Any) -> None:
    cfn, v1, v2 = gureum.client("cloudformation"), gureum.client("ses"), gureum.client("sesv2")
    name = uniq("sesev")
    news = [{"TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"}]
    cfn.create_stack(StackName=name, TemplateBody=_template(name, "to-sns", ["send", "delivery"], news, f"{name}-list", False))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    assert out["Dest"] == out["DestId"] == "to-sns" and out["List"] == f"{name}-list"
    described = v1.describe_configuration_set(ConfigurationSetName=f"{name}-set",
                                              ConfigurationSetAttributeNames=["eventDestinations"])["EventDestinations"]
    assert described == [{"Name": "to-sns", "Enabled": True, "MatchingEventTypes": ["send", "delivery"],
                          "SNSDestination": {"TopicARN": out["Topic"]}}]
    got = v2.get_contact_list(ContactListName=f"{name}-list")
    assert got["Topics"] == news and got["Description"] == "customers"

    deals = [*news, {"TopicName": "deals", "DisplayName": "Deals", "DefaultSubscriptionStatus": "OPT_OUT"}]
    cfn.update_stack(StackName=name, TemplateBody=_template(name, "to-sns", ["send", "bounce"], deals, f"{name}-list", True))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    dests = {d["Name"]: d for d in v2.get_configuration_set_event_destinations(
        ConfigurationSetName=f"{name}-set")["EventDestinations"]}
    assert dests["to-sns"]["MatchingEventTypes"] == ["SEND", "BOUNCE"]
    assert dests["metrics"]["MatchingEventTypes"] == ["SEND", "RENDERING_FAILURE"]
    assert dests["metrics"]["CloudWatchDestination"]["DimensionConfigurations"][0]["DimensionValueSource"] == "MESSAGE_TAG"
    assert v2.get_contact_list(ContactListName=f"{name}-list")["Topics"] == deals

    cfn.update_stack(StackName=name, TemplateBody=_template(name, "renamed", ["send"], deals, f"{name}-list", True))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert _outputs(stack)["Dest"] == "renamed"
    names = {d["Name"] for d in v2.get_configuration_set_event_destinations(
        ConfigurationSetName=f"{name}-set")["EventDestinations"]}
    assert names == {"renamed", "metrics"}

    # a new list name replaces the list: the replacement is made first, and the account's
    # one-list quota refuses it, as AWS does; the update rolls back to the old list
    cfn.update_stack(StackName=name, TemplateBody=_template(name, "renamed", ["send"], deals, f"{name}-list2", True))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", statuses(cfn, name)
    assert any("LimitExceeded" in reason or "Maximum number of contact lists" in reason
               for _, _, reason in failures(cfn, name)), failures(cfn, name)
    assert [c["ContactListName"] for c in v2.list_contact_lists()["ContactLists"]] == [f"{name}-list"]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    with pytest.raises(ClientError):
        v2.get_contact_list(ContactListName=f"{name}-list")
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_configuration_set_event_destinations(ConfigurationSetName=f"{name}-set")
