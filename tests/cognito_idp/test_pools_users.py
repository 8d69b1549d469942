"""Cognito user pools through boto3 against a real gureum: pools with their schema, policies
and settings, app clients with and without secrets, users created by an administrator,
attributes, ListUsers' filters and paging, enabling and deleting, groups and membership,
AWS's errors, passwords kept only as hashes, and durability across a restart."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from .helpers import STRONG, error_of, make_client, make_pool, uniq


def test_create_pool_with_schema_policy_and_settings(idp) -> None:  # type: ignore[no-untyped-def]
    pool = idp.create_user_pool(
        PoolName="people",
        Policies={"PasswordPolicy": {"MinimumLength": 10, "RequireUppercase": True, "RequireLowercase": True,
                                     "RequireNumbers": True, "RequireSymbols": False}},
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "tenant", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "32"}},
                {"Name": "level", "AttributeDataType": "Number"}],
        UsernameAttributes=["email"], AutoVerifiedAttributes=["email"], MfaConfiguration="OPTIONAL",
        LambdaConfig={"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:nope"},
    )["UserPool"]
    assert pool["Id"].startswith("us-east-1_") and len(pool["Id"]) == len("us-east-1_") + 9
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:000000000000:userpool/{pool['Id']}"
    got = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert got["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert got["Policies"]["PasswordPolicy"]["RequireSymbols"] is False
    names = {a["Name"]: a for a in got["SchemaAttributes"]}
    assert {"sub", "email", "phone_number", "custom:tenant", "custom:level"} <= set(names)
    assert names["email"]["Required"] is True
    assert names["custom:tenant"]["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "32"}
    assert names["custom:level"]["AttributeDataType"] == "Number"
    assert got["UsernameAttributes"] == ["email"] and got["AutoVerifiedAttributes"] == ["email"]
    assert got["MfaConfiguration"] == "OPTIONAL"
    assert got["LambdaConfig"]["PreSignUp"].endswith(":function:nope")
    assert got["EstimatedNumberOfUsers"] == 0
    assert pool["Id"] in [p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]


def test_pool_errors(idp) -> None:  # type: ignore[no-untyped-def]
    assert error_of(lambda: idp.describe_user_pool(UserPoolId="us-east-1_nothere12")) == (
        "ResourceNotFoundException", "User pool us-east-1_nothere12 does not exist.")
    code, _ = error_of(lambda: idp.create_user_pool(PoolName=uniq(), UsernameAttributes=["email"], AliasAttributes=["email"]))
    assert code == "InvalidParameterException"
    code, msg = error_of(lambda: idp.create_user_pool(PoolName=uniq(), Schema=[
        {"Name": "x", "AttributeDataType": "String", "Required": True}]))
    assert (code, msg) == ("InvalidParameterException", "Required custom attributes are not supported currently.")
    pid = make_pool(idp, DeletionProtection="ACTIVE")
    code, _ = error_of(lambda: idp.delete_user_pool(UserPoolId=pid))
    assert code == "InvalidParameterException"
    idp.update_user_pool(UserPoolId=pid, DeletionProtection="INACTIVE")
    idp.delete_user_pool(UserPoolId=pid)
    assert error_of(lambda: idp.describe_user_pool(UserPoolId=pid))[0] == "ResourceNotFoundException"


def test_clients_with_and_without_secret_and_validity(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    plain = make_client(idp, pid, ReadAttributes=["email"], WriteAttributes=["email"])
    assert "ClientSecret" not in plain and len(plain["ClientId"]) == 26
    secret = make_client(idp, pid, GenerateSecret=True, AccessTokenValidity=2, IdTokenValidity=30, RefreshTokenValidity=5,
                         TokenValidityUnits={"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "days"})
    assert len(secret["ClientSecret"]) >= 40
    got = idp.describe_user_pool_client(UserPoolId=pid, ClientId=secret["ClientId"])["UserPoolClient"]
    assert got["ClientSecret"] == secret["ClientSecret"]
    assert (got["AccessTokenValidity"], got["IdTokenValidity"], got["RefreshTokenValidity"]) == (2, 30, 5)
    assert got["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "days"}
    default = idp.create_user_pool_client(UserPoolId=pid, ClientName="d")["UserPoolClient"]
    assert set(default["ExplicitAuthFlows"]) == {"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
    code, _ = error_of(lambda: idp.create_user_pool_client(UserPoolId=pid, ClientName="bad", AccessTokenValidity=2,
                                                            TokenValidityUnits={"AccessToken": "days"}))
    assert code == "InvalidParameterException"
    code, _ = error_of(lambda: idp.create_user_pool_client(UserPoolId=pid, ClientName="mix",
                                                            ExplicitAuthFlows=["USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]))
    assert code == "InvalidParameterException"
    listed = idp.list_user_pool_clients(UserPoolId=pid, MaxResults=2)
    assert len(listed["UserPoolClients"]) == 2 and listed["NextToken"]
    rest = idp.list_user_pool_clients(UserPoolId=pid, MaxResults=2, NextToken=listed["NextToken"])["UserPoolClients"]
    assert len(rest) == 1
    idp.delete_user_pool_client(UserPoolId=pid, ClientId=plain["ClientId"])
    assert error_of(lambda: idp.describe_user_pool_client(UserPoolId=pid, ClientId=plain["ClientId"])) == (
        "ResourceNotFoundException", f"User pool client {plain['ClientId']} does not exist.")


def test_admin_create_user_has_temporary_password_and_force_change_status(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    user = idp.admin_create_user(UserPoolId=pid, Username="alice", TemporaryPassword="Temp0rary!",
                                 UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
                                 MessageAction="SUPPRESS")["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD" and user["Enabled"] is True
    attrs = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert attrs["email"] == "alice@example.com" and len(attrs["sub"]) == 36
    got = idp.admin_get_user(UserPoolId=pid, Username="ALICE")  # usernames are case-insensitive by default
    assert got["Username"] == "alice" and got["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert error_of(lambda: idp.admin_create_user(UserPoolId=pid, Username="alice", MessageAction="SUPPRESS")) == (
        "UsernameExistsException", "User account already exists")
    assert error_of(lambda: idp.admin_get_user(UserPoolId=pid, Username="bob")) == ("UserNotFoundException", "User does not exist.")
    assert error_of(lambda: idp.admin_create_user(UserPoolId=pid, Username="weak", TemporaryPassword="short")) == (
        "InvalidPasswordException", "Password does not conform to policy: Password not long enough")


def test_set_password_policy_messages_and_confirmed_status(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    idp.admin_create_user(UserPoolId=pid, Username="u1", MessageAction="SUPPRESS")
    for pw, why in (("Aa1!", "Password not long enough"), ("AAAAAAAA1!", "Password must have lowercase characters"),
                    ("aaaaaaaa1!", "Password must have uppercase characters"), ("Aaaaaaaaa!", "Password must have numeric characters"),
                    ("Aaaaaaaaa1", "Password must have symbol characters")):
        assert error_of(lambda pw=pw: idp.admin_set_user_password(UserPoolId=pid, Username="u1", Password=pw, Permanent=True)) == (
            "InvalidPasswordException", f"Password did not conform with policy: {why}")
    idp.admin_set_user_password(UserPoolId=pid, Username="u1", Password=STRONG, Permanent=True)
    assert idp.admin_get_user(UserPoolId=pid, Username="u1")["UserStatus"] == "CONFIRMED"
    idp.admin_set_user_password(UserPoolId=pid, Username="u1", Password=STRONG + "2", Permanent=False)
    assert idp.admin_get_user(UserPoolId=pid, Username="u1")["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_email_as_username_names_the_user_by_sub(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, UsernameAttributes=["email"])
    assert error_of(lambda: idp.admin_create_user(UserPoolId=pid, Username="notanemail", MessageAction="SUPPRESS")) == (
        "InvalidParameterException", "Username should be an email.")
    user = idp.admin_create_user(UserPoolId=pid, Username="Carol@Example.com", MessageAction="SUPPRESS")["User"]
    attrs = {a["Name"]: a["Value"] for a in user["Attributes"]}
    assert user["Username"] == attrs["sub"] and attrs["email"] == "Carol@Example.com"
    assert idp.admin_get_user(UserPoolId=pid, Username="carol@example.com")["Username"] == attrs["sub"]
    assert error_of(lambda: idp.admin_create_user(UserPoolId=pid, Username="carol@example.com", MessageAction="SUPPRESS"))[0] == \
        "UsernameExistsException"


def test_attributes_update_delete_and_schema_checks(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True},
                                 {"Name": "fixed", "AttributeDataType": "String", "Mutable": False}])
    idp.admin_create_user(UserPoolId=pid, Username="dave", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "custom:fixed", "Value": "v1"}, {"Name": "email", "Value": "d@x.io"},
                                          {"Name": "email_verified", "Value": "true"}])
    idp.admin_update_user_attributes(UserPoolId=pid, Username="dave", UserAttributes=[
        {"Name": "custom:team", "Value": "red"}, {"Name": "name", "Value": "Dave"}])
    attrs = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pid, Username="dave")["UserAttributes"]}
    assert attrs["custom:team"] == "red" and attrs["name"] == "Dave" and attrs["email_verified"] == "true"
    # a new email is unverified again
    idp.admin_update_user_attributes(UserPoolId=pid, Username="dave", UserAttributes=[{"Name": "email", "Value": "d2@x.io"}])
    attrs = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pid, Username="dave")["UserAttributes"]}
    assert attrs["email"] == "d2@x.io" and attrs["email_verified"] == "false"
    assert error_of(lambda: idp.admin_update_user_attributes(UserPoolId=pid, Username="dave", UserAttributes=[
        {"Name": "custom:nope", "Value": "x"}]))[0] == "InvalidParameterException"
    assert error_of(lambda: idp.admin_update_user_attributes(UserPoolId=pid, Username="dave", UserAttributes=[
        {"Name": "custom:fixed", "Value": "v2"}]))[0] == "InvalidParameterException"
    idp.admin_delete_user_attributes(UserPoolId=pid, Username="dave", UserAttributeNames=["name"])
    attrs = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pid, Username="dave")["UserAttributes"]}
    assert "name" not in attrs
    idp.add_custom_attributes(UserPoolId=pid, CustomAttributes=[{"Name": "later", "AttributeDataType": "String"}])
    idp.admin_update_user_attributes(UserPoolId=pid, Username="dave", UserAttributes=[{"Name": "custom:later", "Value": "ok"}])


def test_list_users_filters_and_paging(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    for i in range(5):
        idp.admin_create_user(UserPoolId=pid, Username=f"user{i}", MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"u{i}@{'acme' if i % 2 else 'other'}.com"},
                                              {"Name": "given_name", "Value": f"Name{i}"}])
    idp.admin_disable_user(UserPoolId=pid, Username="user3")
    pages = list(idp.get_paginator("list_users").paginate(UserPoolId=pid, PaginationConfig={"PageSize": 2}))
    assert [len(p["Users"]) for p in pages] == [2, 2, 1]
    names = [u["Username"] for p in pages for u in p["Users"]]
    assert sorted(names) == [f"user{i}" for i in range(5)]
    exact = idp.list_users(UserPoolId=pid, Filter='email = "u2@other.com"')["Users"]
    assert [u["Username"] for u in exact] == ["user2"]
    prefix = idp.list_users(UserPoolId=pid, Filter='username ^= "user"', Limit=60)["Users"]
    assert len(prefix) == 5
    given = idp.list_users(UserPoolId=pid, Filter='given_name ^= "Name1"')["Users"]
    assert [u["Username"] for u in given] == ["user1"]
    disabled = idp.list_users(UserPoolId=pid, Filter='status = "Disabled"')["Users"]
    assert [u["Username"] for u in disabled] == ["user3"]
    forced = idp.list_users(UserPoolId=pid, Filter='cognito:user_status = "FORCE_CHANGE_PASSWORD"')["Users"]
    assert len(forced) == 5
    only = idp.list_users(UserPoolId=pid, AttributesToGet=["email"], Limit=1)["Users"][0]
    assert [a["Name"] for a in only["Attributes"]] == ["email"]
    assert error_of(lambda: idp.list_users(UserPoolId=pid, Filter="email = unquoted")) == (
        "InvalidParameterException", "Error while parsing filter.")
    assert error_of(lambda: idp.list_users(UserPoolId=pid, Filter='custom:x = "1"'))[0] == "InvalidParameterException"


def test_disable_enable_delete(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    idp.admin_create_user(UserPoolId=pid, Username="eve", MessageAction="SUPPRESS")
    idp.admin_disable_user(UserPoolId=pid, Username="eve")
    assert idp.admin_get_user(UserPoolId=pid, Username="eve")["Enabled"] is False
    idp.admin_enable_user(UserPoolId=pid, Username="eve")
    assert idp.admin_get_user(UserPoolId=pid, Username="eve")["Enabled"] is True
    idp.admin_delete_user(UserPoolId=pid, Username="eve")
    assert error_of(lambda: idp.admin_get_user(UserPoolId=pid, Username="eve"))[0] == "UserNotFoundException"
    assert error_of(lambda: idp.admin_delete_user(UserPoolId=pid, Username="eve"))[0] == "UserNotFoundException"


def test_groups_and_membership(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    for n in ("u1", "u2"):
        idp.admin_create_user(UserPoolId=pid, Username=n, MessageAction="SUPPRESS")
    g = idp.create_group(UserPoolId=pid, GroupName="admins", Description="d", Precedence=1)["Group"]
    assert g["GroupName"] == "admins" and g["Precedence"] == 1
    idp.create_group(UserPoolId=pid, GroupName="readers")
    assert error_of(lambda: idp.create_group(UserPoolId=pid, GroupName="admins")) == (
        "GroupExistsException", "A group with the name already exists.")
    idp.admin_add_user_to_group(UserPoolId=pid, Username="u1", GroupName="admins")
    idp.admin_add_user_to_group(UserPoolId=pid, Username="u1", GroupName="readers")
    idp.admin_add_user_to_group(UserPoolId=pid, Username="u2", GroupName="readers")
    assert [x["GroupName"] for x in idp.admin_list_groups_for_user(UserPoolId=pid, Username="u1")["Groups"]] == ["admins", "readers"]
    assert sorted(u["Username"] for u in idp.list_users_in_group(UserPoolId=pid, GroupName="readers")["Users"]) == ["u1", "u2"]
    idp.admin_remove_user_from_group(UserPoolId=pid, Username="u1", GroupName="readers")
    assert [u["Username"] for u in idp.list_users_in_group(UserPoolId=pid, GroupName="readers")["Users"]] == ["u2"]
    idp.update_group(UserPoolId=pid, GroupName="readers", Description="new")
    assert idp.get_group(UserPoolId=pid, GroupName="readers")["Group"]["Description"] == "new"
    page = idp.list_groups(UserPoolId=pid, Limit=1)
    assert len(page["Groups"]) == 1 and page["NextToken"]
    idp.delete_group(UserPoolId=pid, GroupName="readers")
    assert idp.admin_list_groups_for_user(UserPoolId=pid, Username="u2")["Groups"] == []
    assert error_of(lambda: idp.get_group(UserPoolId=pid, GroupName="readers")) == ("ResourceNotFoundException", "Group not found.")
    assert error_of(lambda: idp.admin_add_user_to_group(UserPoolId=pid, Username="nobody", GroupName="admins"))[0] == \
        "UserNotFoundException"


def test_another_account_or_region_cannot_see_the_pool(gureum, idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    foreign = boto3.client("cognito-idp", endpoint_url=gureum.endpoint, region_name="us-east-1",
                           aws_access_key_id="111122223333", aws_secret_access_key="x")
    assert error_of(lambda: foreign.describe_user_pool(UserPoolId=pid))[0] == "ResourceNotFoundException"
    assert pid not in [p["Id"] for p in foreign.list_user_pools(MaxResults=60)["UserPools"]]
    # pools are regional: the same account in another Region does not see it either
    west = gureum.client("cognito-idp", region="us-west-2")
    assert error_of(lambda: west.describe_user_pool(UserPoolId=pid)) == ("ResourceNotFoundException", f"User pool {pid} does not exist.")
    assert error_of(lambda: west.admin_get_user(UserPoolId=pid, Username="x"))[0] == "ResourceNotFoundException"
    assert pid not in [p["Id"] for p in west.list_user_pools(MaxResults=60)["UserPools"]]
    assert make_pool(west).startswith("us-west-2_")


@pytest.mark.slow
def test_pools_and_users_survive_restart_and_passwords_are_hashed(fresh_gureum) -> None:  # type: ignore[no-untyped-def]
    idp = fresh_gureum.client("cognito-idp")
    pid = make_pool(idp)
    client = make_client(idp, pid, GenerateSecret=True)
    idp.admin_create_user(UserPoolId=pid, Username="frank", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pid, Username="frank", Password=STRONG, Permanent=True)
    before = idp.admin_initiate_auth(UserPoolId=pid, ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "frank", "PASSWORD": STRONG, "SECRET_HASH": _hash(
                                         client["ClientSecret"], "frank", client["ClientId"])})["AuthenticationResult"]
    fresh_gureum.restart()
    idp = fresh_gureum.client("cognito-idp")
    assert idp.admin_get_user(UserPoolId=pid, Username="frank")["UserStatus"] == "CONFIRMED"
    got = idp.describe_user_pool_client(UserPoolId=pid, ClientId=client["ClientId"])["UserPoolClient"]
    assert got["ClientSecret"] == client["ClientSecret"]
    auth = idp.admin_initiate_auth(UserPoolId=pid, ClientId=client["ClientId"], AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "frank", "PASSWORD": STRONG, "SECRET_HASH": _hash(
                                       client["ClientSecret"], "frank", client["ClientId"])})
    assert auth["AuthenticationResult"]["AccessToken"]
    # tokens and sessions of before the restart still hold (the pool's key is in the store)
    public = boto3.client("cognito-idp", endpoint_url=fresh_gureum.endpoint, region_name="us-east-1",
                          config=Config(signature_version=UNSIGNED))
    assert public.get_user(AccessToken=before["AccessToken"])["Username"] == "frank"
    refreshed = public.initiate_auth(ClientId=client["ClientId"], AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": before["RefreshToken"], "SECRET_HASH": _hash(client["ClientSecret"], "frank", client["ClientId"])})
    assert refreshed["AuthenticationResult"]["IdToken"]
    fresh_gureum.stop()
    # Neither the password nor the client secret is in the store's file in the clear.
    raw = b"".join(p.read_bytes() for p in fresh_gureum.data_dir.rglob("*") if p.is_file())
    assert STRONG.encode() not in raw
    assert client["ClientSecret"].encode() not in raw


def _hash(secret: str, username: str, client_id: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()).decode()


def test_pool_tags(idp) -> None:  # type: ignore[no-untyped-def]
    pool = idp.create_user_pool(PoolName=uniq(), UserPoolTags={"team": "blue"})["UserPool"]
    arn = pool["Arn"]
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "blue"}
    idp.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    idp.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert idp.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "dev"}
    assert idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["UserPoolTags"] == {"env": "dev"}
    assert error_of(lambda: idp.tag_resource(ResourceArn=arn, Tags={"aws:x": "1"}))[0] == "InvalidParameterException"
    missing = arn.rsplit("/", 1)[0] + "/us-east-1_missing00"
    assert error_of(lambda: idp.list_tags_for_resource(ResourceArn=missing))[0] == "ResourceNotFoundException"


def test_the_aws_cli_drives_pools(gureum, idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    gureum.aws("cognito-idp", "admin-create-user", "--user-pool-id", pid, "--username", "cli-user", "--message-action", "SUPPRESS")
    out = gureum.aws("cognito-idp", "list-users", "--user-pool-id", pid, "--filter", 'username = "cli-user"')
    assert [u["Username"] for u in out["Users"]] == ["cli-user"]


def test_reset_drops_every_pool_and_its_keys(fresh_gureum) -> None:  # type: ignore[no-untyped-def]
    idp = fresh_gureum.client("cognito-idp")
    pid = make_pool(idp)
    make_client(idp, pid)
    idp.admin_create_user(UserPoolId=pid, Username="gone", MessageAction="SUPPRESS")
    jwks_url = f"{fresh_gureum.endpoint}/{pid}/.well-known/jwks.json"
    with urllib.request.urlopen(jwks_url, timeout=10) as r:
        assert json.load(r)["keys"]
    req = urllib.request.Request(fresh_gureum.endpoint + "/_gureum/reset?service=cognito-idp", method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
    assert error_of(lambda: idp.describe_user_pool(UserPoolId=pid))[0] == "ResourceNotFoundException"
    assert idp.list_user_pools(MaxResults=60)["UserPools"] == []
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(jwks_url, timeout=10)
    assert e.value.code == 404
    # the service works on after it
    assert make_pool(idp).startswith("us-east-1_")
