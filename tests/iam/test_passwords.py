"""IAM console passwords end to end through boto3: the account password policy, login
profiles checked against it, and ChangePassword by the user itself (old password verified,
policy and PasswordReusePrevention enforced).

Each test works in an account of its own (a 12-digit access key id is that account)."""

from __future__ import annotations

import random

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def user_client(gureum, iam, name: str):
    """An IAM client signed with a fresh access key of user `name`."""
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return gureum.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])


# --- the account password policy -------------------------------------------------------
def test_password_policy_absent_then_set_read_and_deleted(iam, account):
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert error_of(exc) == ("NoSuchEntity", 404, f"The Password Policy with domain name {account} cannot be found.")

    iam.update_account_password_policy(
        MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True, AllowUsersToChangePassword=True,
        MaxPasswordAge=90, PasswordReusePrevention=3,
    )
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy == {
        "MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 90,
        "PasswordReusePrevention": 3,
    }

    # An update replaces the whole policy: what is left out takes the defaults again.
    iam.update_account_password_policy(RequireUppercaseCharacters=True)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 6 and policy["RequireUppercaseCharacters"] is True
    assert policy["RequireSymbols"] is False and policy["ExpirePasswords"] is False
    assert "MaxPasswordAge" not in policy and "PasswordReusePrevention" not in policy

    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.delete_account_password_policy()
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)


def test_password_policy_ranges_are_validated(gureum, account):
    iam = gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x",
                        config=Config(retries={"max_attempts": 1}, parameter_validation=False))
    for bad in ({"MinimumPasswordLength": 5}, {"MinimumPasswordLength": 129}, {"MaxPasswordAge": 1096},
                {"PasswordReusePrevention": 25}):
        with pytest.raises(ClientError) as exc:
            iam.update_account_password_policy(**bad)
        assert error_of(exc)[:2] == ("ValidationError", 400)


# --- login profiles --------------------------------------------------------------------
def test_login_profile_lifecycle(iam):
    iam.create_user(UserName="alice")
    with pytest.raises(ClientError) as exc:
        iam.get_login_profile(UserName="alice")
    assert error_of(exc) == ("NoSuchEntity", 404, "Login Profile for User alice cannot be found.")

    created = iam.create_login_profile(UserName="alice", Password="Correct-Horse-9", PasswordResetRequired=True)
    assert created["LoginProfile"]["UserName"] == "alice"
    assert created["LoginProfile"]["PasswordResetRequired"] is True
    got = iam.get_login_profile(UserName="alice")["LoginProfile"]
    assert got["CreateDate"] == created["LoginProfile"]["CreateDate"] and got["PasswordResetRequired"] is True
    assert "Password" not in got

    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    assert error_of(exc) == ("EntityAlreadyExists", 409, "Login Profile for user alice already exists.")

    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False

    # A user with a login profile cannot be deleted; the profile keeps to a renamed user.
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="alice")
    assert error_of(exc) == ("DeleteConflict", 409, "Cannot delete entity, must delete login profile first.")
    iam.update_user(UserName="alice", NewUserName="alicia")
    assert iam.get_login_profile(UserName="alicia")["LoginProfile"]["UserName"] == "alicia"

    iam.delete_login_profile(UserName="alicia")
    with pytest.raises(ClientError) as exc:
        iam.delete_login_profile(UserName="alicia")
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)
    iam.delete_user(UserName="alicia")


def test_login_profile_for_missing_user(iam):
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName="nobody", Password="Correct-Horse-9")
    assert error_of(exc) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")


def test_login_profile_passwords_follow_the_account_policy(iam):
    iam.create_user(UserName="bob")
    # Without a custom policy, AWS's default: 8 characters and three kinds of character.
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName="bob", Password="alllowercase")
    assert error_of(exc)[:2] == ("PasswordPolicyViolation", 400)

    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
        RequireNumbers=True, RequireSymbols=True,
    )
    cases = {
        "Sh0rt!": "Password should have a minimum length of 10",
        "lowercase-only-1": "Password should have at least one uppercase letter",
        "UPPERCASE-ONLY-1": "Password should have at least one lowercase letter",
        "No-Digits-Here": "Password should have at least one number",
        "NoSymbols123abc": "Password should have at least one symbol",
    }
    for password, message in cases.items():
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName="bob", Password=password)
        assert error_of(exc) == ("PasswordPolicyViolation", 400, message)
    iam.create_login_profile(UserName="bob", Password="Good-Pass-123")

    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName="bob", Password="weak")
    assert error_of(exc) == ("PasswordPolicyViolation", 400, "Password should have a minimum length of 10")
    iam.update_login_profile(UserName="bob", Password="Better-Pass-456")


# --- ChangePassword --------------------------------------------------------------------
def test_change_password_verifies_the_old_one_and_clears_reset_required(gureum, iam):
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="First-Pass-1", PasswordResetRequired=True)
    carol = user_client(gureum, iam, "carol")

    with pytest.raises(ClientError) as exc:
        carol.change_password(OldPassword="Wrong-Pass-1", NewPassword="Second-Pass-2")
    assert error_of(exc)[0] == "InvalidUserType"
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"] is True

    carol.change_password(OldPassword="First-Pass-1", NewPassword="Second-Pass-2")
    assert iam.get_login_profile(UserName="carol")["LoginProfile"]["PasswordResetRequired"] is False
    # The old password no longer verifies; the new one does.
    with pytest.raises(ClientError) as exc:
        carol.change_password(OldPassword="First-Pass-1", NewPassword="Third-Pass-3")
    assert error_of(exc)[0] == "InvalidUserType"
    carol.change_password(OldPassword="Second-Pass-2", NewPassword="Third-Pass-3")


def test_change_password_enforces_policy_and_reuse_prevention(gureum, iam):
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True, PasswordReusePrevention=2)
    iam.create_user(UserName="dave")
    iam.create_login_profile(UserName="dave", Password="pass-one-1")
    dave = user_client(gureum, iam, "dave")

    with pytest.raises(ClientError) as exc:
        dave.change_password(OldPassword="pass-one-1", NewPassword="no-digits-here")
    assert error_of(exc) == ("PasswordPolicyViolation", 400, "Password should have at least one number")

    dave.change_password(OldPassword="pass-one-1", NewPassword="pass-two-2")
    reuse = "Policy constraint violation with password reuse prevention during password change"
    for old_one in ("pass-one-1", "pass-two-2"):  # the last two passwords are refused
        with pytest.raises(ClientError) as exc:
            dave.change_password(OldPassword="pass-two-2", NewPassword=old_one)
        assert error_of(exc) == ("PasswordPolicyViolation", 400, reuse)
    dave.change_password(OldPassword="pass-two-2", NewPassword="pass-three-3")
    dave.change_password(OldPassword="pass-three-3", NewPassword="pass-four-4")
    dave.change_password(OldPassword="pass-four-4", NewPassword="pass-one-1")  # three back: allowed again


def test_change_password_refuses_root_and_users_without_profile(gureum, iam):
    with pytest.raises(ClientError) as exc:
        iam.change_password(OldPassword="a", NewPassword="b")
    assert error_of(exc)[:2] == ("InvalidUserType", 400)
    iam.create_user(UserName="erin")
    erin = user_client(gureum, iam, "erin")
    with pytest.raises(ClientError) as exc:
        erin.change_password(OldPassword="a", NewPassword="b")
    assert error_of(exc) == ("NoSuchEntity", 404, "Login Profile for User erin cannot be found.")
