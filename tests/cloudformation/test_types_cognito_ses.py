"""AWS::Cognito::UserPoolUser and AWS::SES::ReceiptFilter through boto3 against a real gureum.

Cognito: a stack's pool with two users (one named, with attributes and no invitation; one
without a name, which gets a generated one), checked through AdminGetUser; renaming the first
replaces it (the new user made, the old one deleted); a user deleted outside the stack does not
fail the stack's deletion, which removes the rest. A hosted UI customization on a stack's pool,
domain and client: its CSS on the sign-in page, changed in place, removed with the stack.

SES: two receipt filters (one named, one with a generated name), checked through
ListReceiptFilters; a new range replaces the unnamed one (a new name, the old filter gone);
the stack's deletion removes both. A custom verification email template from an address
verified by its link: its subject changed in place, a new name replacing it (the old one gone),
deleted with the stack. The other SES types need operations gureum does not serve
(providers/ses_more.py names them)."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import failures, settle, uniq

TEMPLATE = """
Parameters:
  Name: {Type: String, Default: ann}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties: {UserPoolName: !Sub "${AWS::StackName}-pool"}
  Ann:
    Type: AWS::Cognito::UserPoolUser
    Properties:
      UserPoolId: !Ref Pool
      Username: !Ref Name
      MessageAction: SUPPRESS
      UserAttributes: [{Name: email, Value: ann@example.com}, {Name: given_name, Value: Ann}]
  Anon:
    Type: AWS::Cognito::UserPoolUser
    Properties: {UserPoolId: !Ref Pool, MessageAction: SUPPRESS}
Outputs:
  Pool: {Value: !Ref Pool}
  Ann: {Value: !Ref Ann}
  Anon: {Value: !Ref Anon}
"""


def _attrs(user: dict[str, Any]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in user.get("UserAttributes") or []}


def _missing(idp: Any, pool: str, name: str) -> bool:
    try:
        idp.admin_get_user(UserPoolId=pool, Username=name)
    except ClientError as e:
        return e.response["Error"]["Code"] in ("UserNotFoundException", "ResourceNotFoundException")
    return False


def test_user_pool_user(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    idp = gureum.client("cognito-idp")
    name = uniq("cogu")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    pool = out["Pool"]
    assert out["Ann"] == "ann"
    ann = idp.admin_get_user(UserPoolId=pool, Username="ann")
    assert ann["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert {k: v for k, v in _attrs(ann).items() if k in ("email", "given_name")} == {
        "email": "ann@example.com", "given_name": "Ann"}
    uuid.UUID(out["Anon"])  # a generated name
    assert idp.admin_get_user(UserPoolId=pool, Username=out["Anon"])["Username"] == out["Anon"]

    # a new name replaces the user: the new one made, the old one gone
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=[{"ParameterKey": "Name", "ParameterValue": "bea"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Ann"] == "bea"
    assert _attrs(idp.admin_get_user(UserPoolId=pool, Username="bea"))["given_name"] == "Ann"
    assert _missing(idp, pool, "ann")
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Anon"] == out["Anon"]  # untouched

    # gone already: the stack's deletion takes it as done
    idp.admin_delete_user(UserPoolId=pool, Username=out["Anon"])
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool(UserPoolId=pool)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


FILTERS = """
Parameters:
  Range: {Type: String, Default: 192.0.2.0/25}
Resources:
  Named:
    Type: AWS::SES::ReceiptFilter
    Properties: {Filter: {Name: !Sub "${AWS::StackName}-named", IpFilter: {Policy: Allow, Cidr: 198.51.100.7}}}
  Unnamed:
    Type: AWS::SES::ReceiptFilter
    Properties: {Filter: {IpFilter: {Policy: Block, Cidr: !Ref Range}}}
Outputs:
  Named: {Value: !Ref Named}
  NamedId: {Value: !GetAtt Named.Id}
  Unnamed: {Value: !Ref Unnamed}
"""


def _filters(ses: Any, prefix: str) -> dict[str, dict[str, str]]:
    return {f["Name"]: f["IpFilter"] for f in ses.list_receipt_filters()["Filters"] if f["Name"].startswith(prefix)}


def test_receipt_filters(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    ses = gureum.client("ses")
    name = uniq("sesf")
    cfn.create_stack(StackName=name, TemplateBody=FILTERS)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert out["Named"] == out["NamedId"] == f"{name}-named"
    first = out["Unnamed"]
    assert first.startswith(f"{name}-Unnamed-")
    assert _filters(ses, name) == {f"{name}-named": {"Policy": "Allow", "Cidr": "198.51.100.7"},
                                   first: {"Policy": "Block", "Cidr": "192.0.2.0/25"}}

    # a new range replaces the unnamed filter
    cfn.update_stack(StackName=name, TemplateBody=FILTERS,
                     Parameters=[{"ParameterKey": "Range", "ParameterValue": "192.0.2.128/25"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    second = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Unnamed"]
    assert second != first
    assert _filters(ses, name) == {f"{name}-named": {"Policy": "Allow", "Cidr": "198.51.100.7"},
                                   second: {"Policy": "Block", "Cidr": "192.0.2.128/25"}}

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    assert _filters(ses, name) == {}


TEMPLATE_STACK = """
Parameters:
  Sender: {Type: String}
  Name: {Type: String}
  Subject: {Type: String, Default: Please confirm}
Resources:
  Welcome:
    Type: AWS::SES::CustomVerificationEmailTemplate
    Properties:
      TemplateName: !Ref Name
      FromEmailAddress: !Ref Sender
      TemplateSubject: !Ref Subject
      TemplateContent: "<html><body><p>Welcome aboard.</p></body></html>"
      SuccessRedirectionURL: https://example.com/ok
      FailureRedirectionURL: https://example.com/bad
Outputs:
  Welcome: {Value: !Ref Welcome}
"""


def _verify(gureum: Any, address: str) -> None:
    gureum.client("ses").verify_email_identity(EmailAddress=address)
    with urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ses?email={address}", timeout=10) as resp:
        mails = [m for m in json.load(resp)["messages"] if m["source"] == "no-reply-aws@amazon.com"]
    link = re.search(r"http://\S+/_gureum/ses/verify\?\S+", mails[-1]["body"]["text"])
    assert link is not None
    with urllib.request.urlopen(link.group(0), timeout=10) as resp:
        assert resp.status == 200


def test_custom_verification_email_template(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    v2 = gureum.client("sesv2")
    sender = f"cfn-{uuid.uuid4().hex[:6]}@example.org"
    _verify(gureum, sender)
    name = uniq("sescv")
    params = [{"ParameterKey": "Sender", "ParameterValue": sender}]
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE_STACK,
                     Parameters=params + [{"ParameterKey": "Name", "ParameterValue": f"{name}-one"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert stack["Outputs"][0]["OutputValue"] == f"{name}-one"
    got = v2.get_custom_verification_email_template(TemplateName=f"{name}-one")
    assert (got["FromEmailAddress"], got["TemplateSubject"]) == (sender, "Please confirm")

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE_STACK, Parameters=params + [
        {"ParameterKey": "Name", "ParameterValue": f"{name}-one"}, {"ParameterKey": "Subject", "ParameterValue": "Hi"}])
    assert settle(cfn, name, timeout=120)["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert v2.get_custom_verification_email_template(TemplateName=f"{name}-one")["TemplateSubject"] == "Hi"

    # a new name replaces it
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE_STACK, Parameters=params + [
        {"ParameterKey": "Name", "ParameterValue": f"{name}-two"}, {"ParameterKey": "Subject", "ParameterValue": "Hi"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert v2.get_custom_verification_email_template(TemplateName=f"{name}-two")["TemplateSubject"] == "Hi"
    with pytest.raises(ClientError) as e:
        v2.get_custom_verification_email_template(TemplateName=f"{name}-one")
    assert e.value.response["Error"]["Code"] == "NotFoundException"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        v2.get_custom_verification_email_template(TemplateName=f"{name}-two")
    assert e.value.response["Error"]["Code"] == "NotFoundException"


UI_STACK = """
Parameters:
  Css: {Type: String, Default: ".submitButton-customizable { background-color: #123456; }"}
Resources:
  Pool:
    Type: AWS::Cognito::UserPool
    Properties: {UserPoolName: !Sub "${AWS::StackName}-pool"}
  Domain:
    Type: AWS::Cognito::UserPoolDomain
    Properties: {UserPoolId: !Ref Pool, Domain: !Sub "${AWS::StackName}"}
  Client:
    Type: AWS::Cognito::UserPoolClient
    Properties:
      UserPoolId: !Ref Pool
      AllowedOAuthFlows: [code]
      AllowedOAuthFlowsUserPoolClient: true
      AllowedOAuthScopes: [openid]
      CallbackURLs: ["http://localhost:3000/cb"]
      SupportedIdentityProviders: [COGNITO]
  Brand:
    Type: AWS::Cognito::UserPoolUICustomizationAttachment
    DependsOn: Domain
    Properties: {UserPoolId: !Ref Pool, ClientId: !Ref Client, CSS: !Ref Css}
Outputs:
  Pool: {Value: !Ref Pool}
  Client: {Value: !Ref Client}
  Brand: {Value: !Ref Brand}
"""


def _sign_in_page(gureum: Any, client: str) -> str:
    query = {"response_type": "code", "client_id": client, "redirect_uri": "http://localhost:3000/cb", "scope": "openid"}
    with urllib.request.urlopen(gureum.endpoint + "/oauth2/authorize?" + urllib.parse.urlencode(query), timeout=10) as r:
        return str(r.read().decode())


def test_ui_customization_attachment(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    idp = gureum.client("cognito-idp")
    name = uniq("cogui")
    cfn.create_stack(StackName=name, TemplateBody=UI_STACK)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    pool, client = out["Pool"], out["Client"]
    assert out["Brand"] == f"{pool}|{client}"
    css = ".submitButton-customizable { background-color: #123456; }"
    assert idp.get_ui_customization(UserPoolId=pool, ClientId=client)["UICustomization"]["CSS"] == css
    assert css in _sign_in_page(gureum, client)

    red = ".label-customizable { color: red; }"
    cfn.update_stack(StackName=name, TemplateBody=UI_STACK, Parameters=[{"ParameterKey": "Css", "ParameterValue": red}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["Brand"] == out["Brand"]
    assert idp.get_ui_customization(UserPoolId=pool, ClientId=client)["UICustomization"]["CSS"] == red
    assert red in _sign_in_page(gureum, client)

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    with pytest.raises(ClientError) as e:
        idp.describe_user_pool(UserPoolId=pool)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
