"""Cognito's sign-in and self-service flows through boto3 (unsigned, as the SDKs send them)
against a real gureum: sign-up with the code from gureum's log, password and admin sign-in,
NEW_PASSWORD_REQUIRED, SRP-6a with pycognito's AWSSRP, SECRET_HASH, refresh, forgotten and
changed passwords, GetUser, sign-out and revocation, software-token MFA with real TOTP."""

from __future__ import annotations

import time

import boto3
import pyotp
from botocore import UNSIGNED
from botocore.config import Config
from harness import GureumProcess
from pycognito.aws_srp import AWSSRP

from .helpers import STRONG, confirmed_user, error_of, last_code, make_client, make_pool, uniq

WRONG = ("NotAuthorizedException", "Incorrect username or password.")


def _hash(secret: str, username: str, client_id: str) -> str:
    return AWSSRP.get_secret_hash(username, client_id, secret)


def test_sign_up_confirm_with_logged_code_and_sign_in(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("gina")
    out = public_idp.sign_up(ClientId=cid, Username=name, Password=STRONG, UserAttributes=[{"Name": "email", "Value": "gina@example.com"}])
    assert out["UserConfirmed"] is False and len(out["UserSub"]) == 36
    assert out["CodeDeliveryDetails"] == {"Destination": "g***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": name, "PASSWORD": STRONG})) == (
        "UserNotConfirmedException", "User is not confirmed.")
    assert error_of(lambda: public_idp.sign_up(ClientId=cid, Username=name, Password=STRONG)) == (
        "UsernameExistsException", "User already exists")
    assert error_of(lambda: public_idp.sign_up(ClientId=cid, Username=uniq(), Password="weak")) == (
        "InvalidPasswordException", "Password did not conform with policy: Password not long enough")
    first = last_code(gureum, name, "signup")
    public_idp.resend_confirmation_code(ClientId=cid, Username=name)
    code = last_code(gureum, name, "signup")
    wrong = "000000" if code != "000000" else "111111"
    assert error_of(lambda: public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=wrong)) == (
        "CodeMismatchException", "Invalid verification code provided, please try again.")
    if first != code:
        assert error_of(lambda: public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=first))[0] == \
            "CodeMismatchException"
    public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=code)
    user = idp.admin_get_user(UserPoolId=pid, Username=name)
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email_verified"] == "true"
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": name, "PASSWORD": "Wrong1!xyz"})) == WRONG
    # a client made through the API answers LEGACY user-existence errors by default; ENABLED hides them
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "nobody", "PASSWORD": STRONG})) == (
        "UserNotFoundException", "User does not exist.")
    hiding = make_client(idp, pid, PreventUserExistenceErrors="ENABLED")["ClientId"]
    assert error_of(lambda: public_idp.initiate_auth(ClientId=hiding, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "nobody", "PASSWORD": STRONG})) == WRONG
    assert public_idp.forgot_password(ClientId=hiding, Username="nobody")["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert error_of(lambda: public_idp.forgot_password(ClientId=cid, Username="nobody"))[0] == "UserNotFoundException"
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": name, "PASSWORD": STRONG})["AuthenticationResult"]
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    assert result["AccessToken"].count(".") == 2 and result["IdToken"].count(".") == 2 and result["RefreshToken"]
    me = public_idp.get_user(AccessToken=result["AccessToken"])
    assert me["Username"] == name
    assert {a["Name"]: a["Value"] for a in me["UserAttributes"]}["email"] == "gina@example.com"


def test_flows_a_client_does_not_allow_are_refused(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid, ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["ClientId"]
    confirmed_user(idp, pid, "henry")
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "henry", "PASSWORD": STRONG})) == (
        "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
    assert error_of(lambda: idp.admin_initiate_auth(UserPoolId=pid, ClientId=cid, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                                    AuthParameters={"USERNAME": "henry", "PASSWORD": STRONG})) == (
        "InvalidParameterException", "ADMIN_USER_PASSWORD_AUTH flow not enabled for this client")
    assert error_of(lambda: public_idp.initiate_auth(ClientId="nosuchclient0000000000000", AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "henry", "PASSWORD": STRONG}))[0] == \
        "ResourceNotFoundException"


def test_admin_created_user_must_set_a_new_password(idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    idp.admin_create_user(UserPoolId=pid, Username="ivy", TemporaryPassword="Temp0rary!", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": "ivy@example.com"}])
    first = idp.admin_initiate_auth(UserPoolId=pid, ClientId=cid, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": "ivy", "PASSWORD": "Temp0rary!"})
    assert first["ChallengeName"] == "NEW_PASSWORD_REQUIRED" and first["Session"]
    assert first["ChallengeParameters"]["USER_ID_FOR_SRP"] == "ivy"
    assert error_of(lambda: idp.admin_respond_to_auth_challenge(
        UserPoolId=pid, ClientId=cid, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
        ChallengeResponses={"USERNAME": "ivy", "NEW_PASSWORD": "short"}))[0] == "InvalidPasswordException"
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=pid, ClientId=cid, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
        ChallengeResponses={"USERNAME": "ivy", "NEW_PASSWORD": STRONG, "userAttributes.name": "Ivy"})
    assert done["AuthenticationResult"]["AccessToken"]
    user = idp.admin_get_user(UserPoolId=pid, Username="ivy")
    assert user["UserStatus"] == "CONFIRMED" and {a["Name"]: a["Value"] for a in user["UserAttributes"]}["name"] == "Ivy"
    # the session answers once
    assert error_of(lambda: idp.admin_respond_to_auth_challenge(
        UserPoolId=pid, ClientId=cid, ChallengeName="NEW_PASSWORD_REQUIRED", Session=first["Session"],
        ChallengeResponses={"USERNAME": "ivy", "NEW_PASSWORD": STRONG})) == (
        "NotAuthorizedException", "Invalid session for the user, session is expired.")
    assert error_of(lambda: idp.admin_initiate_auth(UserPoolId=pid, ClientId=cid, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                                    AuthParameters={"USERNAME": "ivy", "PASSWORD": "Temp0rary!"})) == WRONG


def test_srp_with_pycognito(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "jack")
    tokens = AWSSRP(username="jack", password=STRONG, pool_id=pid, client_id=cid, client=public_idp).authenticate_user()
    result = tokens["AuthenticationResult"]
    assert public_idp.get_user(AccessToken=result["AccessToken"])["Username"] == "jack"
    wrong = AWSSRP(username="jack", password="Not-the-Passw0rd", pool_id=pid, client_id=cid, client=public_idp)
    assert error_of(wrong.authenticate_user) == WRONG


def test_srp_with_a_secret_and_email_as_username(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, UsernameAttributes=["email"])
    client = make_client(idp, pid, GenerateSecret=True)
    idp.admin_create_user(UserPoolId=pid, Username="kate@example.com", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pid, Username="kate@example.com", Password=STRONG, Permanent=True)
    srp = AWSSRP(username="kate@example.com", password=STRONG, pool_id=pid, client_id=client["ClientId"],
                 client_secret=client["ClientSecret"], client=public_idp)
    result = srp.authenticate_user()["AuthenticationResult"]
    me = public_idp.get_user(AccessToken=result["AccessToken"])
    assert {a["Name"]: a["Value"] for a in me["UserAttributes"]}["email"] == "kate@example.com"


def test_secret_hash_is_required_and_checked(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    client = make_client(idp, pid, GenerateSecret=True)
    cid, secret = client["ClientId"], client["ClientSecret"]
    confirmed_user(idp, pid, "leo")
    base = {"USERNAME": "leo", "PASSWORD": STRONG}
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=base)) == (
        "NotAuthorizedException", f"Client {cid} is configured with secret but SECRET_HASH was not received")
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        **base, "SECRET_HASH": _hash("wrong", "leo", cid)})) == ("NotAuthorizedException", f"Unable to verify secret hash for client {cid}")
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        **base, "SECRET_HASH": _hash(secret, "leo", cid)})["AuthenticationResult"]
    again = public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={
        "REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": _hash(secret, "leo", cid)})["AuthenticationResult"]
    assert again["AccessToken"] and "RefreshToken" not in again


def test_refresh_and_global_sign_out_revoke_tokens(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "mia")
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "mia", "PASSWORD": STRONG})["AuthenticationResult"]
    refreshed = public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                                         AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
    assert public_idp.get_user(AccessToken=refreshed["AccessToken"])["Username"] == "mia"
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                                                     AuthParameters={"REFRESH_TOKEN": "garbage"})) == (
        "NotAuthorizedException", "Invalid Refresh Token")
    public_idp.global_sign_out(AccessToken=result["AccessToken"])
    assert error_of(lambda: public_idp.get_user(AccessToken=refreshed["AccessToken"])) == (
        "NotAuthorizedException", "Access Token has been revoked")
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                                                     AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})) == (
        "NotAuthorizedException", "Refresh Token has been revoked")
    # AdminUserGlobalSignOut revokes a new sign-in's tokens too
    second = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "mia", "PASSWORD": STRONG})["AuthenticationResult"]
    idp.admin_user_global_sign_out(UserPoolId=pid, Username="mia")
    assert error_of(lambda: public_idp.get_user(AccessToken=second["AccessToken"]))[1] == "Access Token has been revoked"
    # RevokeToken ends one session only
    third = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "mia", "PASSWORD": STRONG})["AuthenticationResult"]
    fourth = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "mia", "PASSWORD": STRONG})["AuthenticationResult"]
    public_idp.revoke_token(Token=third["RefreshToken"], ClientId=cid)
    assert error_of(lambda: public_idp.get_user(AccessToken=third["AccessToken"]))[1] == "Access Token has been revoked"
    assert public_idp.get_user(AccessToken=fourth["AccessToken"])["Username"] == "mia"
    assert error_of(lambda: public_idp.get_user(AccessToken="not.a.token")) == ("NotAuthorizedException", "Invalid Access Token")


def test_disabled_user_cannot_sign_in(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "nora")
    idp.admin_disable_user(UserPoolId=pid, Username="nora")
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "nora", "PASSWORD": STRONG})) == (
        "NotAuthorizedException", "User is disabled.")


def test_forgot_and_change_password(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("olga")
    confirmed_user(idp, pid, name, email="olga@example.com", email_verified="true")
    sent = public_idp.forgot_password(ClientId=cid, Username=name)["CodeDeliveryDetails"]
    assert sent["DeliveryMedium"] == "EMAIL" and sent["AttributeName"] == "email"
    code = last_code(gureum, name, "forgot")
    new = "N3w-Passw0rd"
    assert error_of(lambda: public_idp.confirm_forgot_password(ClientId=cid, Username=name, ConfirmationCode=code,
                                                               Password="weak"))[0] == "InvalidPasswordException"
    public_idp.confirm_forgot_password(ClientId=cid, Username=name, ConfirmationCode=code, Password=new)
    assert error_of(lambda: public_idp.confirm_forgot_password(ClientId=cid, Username=name, ConfirmationCode=code,
                                                               Password=new)) == (
        "ExpiredCodeException", "Invalid code provided, please request a code again.")
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": name, "PASSWORD": STRONG})) == WRONG
    token = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": name, "PASSWORD": new})["AuthenticationResult"]["AccessToken"]
    assert error_of(lambda: public_idp.change_password(AccessToken=token, PreviousPassword="Wr0ng-pass", ProposedPassword=STRONG)) == WRONG
    public_idp.change_password(AccessToken=token, PreviousPassword=new, ProposedPassword=STRONG)
    assert public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": name, "PASSWORD": STRONG})["AuthenticationResult"]


def test_user_updates_and_verifies_own_attributes(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("pat")
    confirmed_user(idp, pid, name)
    token = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": name, "PASSWORD": STRONG})["AuthenticationResult"]["AccessToken"]
    out = public_idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": "pat@example.com"},
                                                                                {"Name": "nickname", "Value": "P"}])
    assert out["CodeDeliveryDetailsList"][0]["AttributeName"] == "email"
    code = last_code(gureum, name, "verify")
    public_idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    attrs = {a["Name"]: a["Value"] for a in public_idp.get_user(AccessToken=token)["UserAttributes"]}
    assert attrs["email_verified"] == "true" and attrs["nickname"] == "P"
    public_idp.delete_user_attributes(AccessToken=token, UserAttributeNames=["nickname"])
    assert "nickname" not in {a["Name"] for a in public_idp.get_user(AccessToken=token)["UserAttributes"]}
    public_idp.delete_user(AccessToken=token)
    assert error_of(lambda: idp.admin_get_user(UserPoolId=pid, Username=name))[0] == "UserNotFoundException"


def _not_a_code(totp: pyotp.TOTP) -> str:
    """A six-digit code no window the server accepts now (or in a minute) can have."""
    now = time.time()
    taken = {totp.at(now + d) for d in range(-90, 91, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555", "666666", "777777", "888888") if c not in taken)


def test_software_token_mfa_with_real_totp(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, MfaConfiguration="OPTIONAL")
    idp.set_user_pool_mfa_config(UserPoolId=pid, MfaConfiguration="OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True})
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "quinn")
    token = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "quinn", "PASSWORD": STRONG})["AuthenticationResult"]["AccessToken"]
    secret = public_idp.associate_software_token(AccessToken=token)["SecretCode"]
    totp = pyotp.TOTP(secret)
    assert error_of(lambda: public_idp.verify_software_token(AccessToken=token, UserCode=_not_a_code(totp)))[0] == \
        "EnableSoftwareTokenMFAException"
    assert public_idp.verify_software_token(AccessToken=token, UserCode=totp.now())["Status"] == "SUCCESS"
    public_idp.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = idp.admin_get_user(UserPoolId=pid, Username="quinn")
    assert got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA" and got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    challenge = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                         AuthParameters={"USERNAME": "quinn", "PASSWORD": STRONG})
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    bad = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "quinn", "PASSWORD": STRONG})
    wrong = _not_a_code(totp)
    assert error_of(lambda: public_idp.respond_to_auth_challenge(
        ClientId=cid, ChallengeName="SOFTWARE_TOKEN_MFA", Session=bad["Session"],
        ChallengeResponses={"USERNAME": "quinn", "SOFTWARE_TOKEN_MFA_CODE": wrong}))[0] == "CodeMismatchException"
    done = public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
                                                ChallengeResponses={"USERNAME": "quinn", "SOFTWARE_TOKEN_MFA_CODE": totp.now()})
    assert done["AuthenticationResult"]["AccessToken"]


def test_mfa_on_makes_a_user_set_up_a_software_token(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, MfaConfiguration="ON")
    idp.set_user_pool_mfa_config(UserPoolId=pid, MfaConfiguration="ON", SoftwareTokenMfaConfiguration={"Enabled": True})
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "rosa")
    setup = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "rosa", "PASSWORD": STRONG})
    assert setup["ChallengeName"] == "MFA_SETUP" and "SOFTWARE_TOKEN_MFA" in setup["ChallengeParameters"]["MFAS_CAN_SETUP"]
    associated = public_idp.associate_software_token(Session=setup["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    verified = public_idp.verify_software_token(Session=associated["Session"], UserCode=totp.now())
    assert verified["Status"] == "SUCCESS"
    done = public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                                ChallengeResponses={"USERNAME": "rosa"})
    assert done["AuthenticationResult"]["AccessToken"]
    # from now on the pool asks for the code
    again = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "rosa", "PASSWORD": STRONG})
    assert again["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    # a used session does not answer again
    assert error_of(lambda: public_idp.associate_software_token(Session=setup["Session"]))[0] == "NotAuthorizedException"


def test_get_tokens_from_refresh_token(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    client = make_client(idp, pid, GenerateSecret=True)
    cid, secret = client["ClientId"], client["ClientSecret"]
    confirmed_user(idp, pid, "saul")
    first = idp.admin_initiate_auth(UserPoolId=pid, ClientId=cid, AuthFlow="ADMIN_USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "saul", "PASSWORD": STRONG, "SECRET_HASH": _hash(secret, "saul", cid)})["AuthenticationResult"]
    got = public_idp.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=cid, ClientSecret=secret)
    assert public_idp.get_user(AccessToken=got["AuthenticationResult"]["AccessToken"])["Username"] == "saul"
    assert error_of(lambda: public_idp.get_tokens_from_refresh_token(RefreshToken=first["RefreshToken"], ClientId=cid,
                                                                     ClientSecret="w" * 51))[0] == "NotAuthorizedException"


def test_codes_cannot_be_guessed_without_limit(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    # attack: trying codes until one fits. After five wrong tries the code is gone, even for the right one.
    pid = make_pool(idp, AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("guess")
    public_idp.sign_up(ClientId=cid, Username=name, Password=STRONG, UserAttributes=[{"Name": "email", "Value": "g@example.com"}])
    code = last_code(gureum, name, "signup")
    wrong = [c for c in ("111111", "222222", "333333", "444444", "555555", "666666") if c != code][:5]
    for guess in wrong:
        assert error_of(lambda g=guess: public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=g))[0] == \
            "CodeMismatchException"
    once = boto3.client("cognito-idp", endpoint_url=gureum.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 0}))  # SDKs retry this error
    for attempt in (code, code):
        assert error_of(lambda a=attempt: once.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=a)) == (
            "LimitExceededException", "Attempt limit exceeded, please try after some time.")
    assert idp.admin_get_user(UserPoolId=pid, Username=name)["UserStatus"] == "UNCONFIRMED"
    public_idp.resend_confirmation_code(ClientId=cid, Username=name)
    fresh = last_code(gureum, name, "signup")
    public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=fresh)
    assert idp.admin_get_user(UserPoolId=pid, Username=name)["UserStatus"] == "CONFIRMED"


def test_an_email_alias_signs_in_only_once_verified(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, AliasAttributes=["email", "preferred_username"])
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "tom", email="tom@example.com", preferred_username="tommy")
    by_email = {"USERNAME": "tom@example.com", "PASSWORD": STRONG}
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=by_email))[0] == \
        "UserNotFoundException"
    assert public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": "tommy", "PASSWORD": STRONG})["AuthenticationResult"]
    idp.admin_update_user_attributes(UserPoolId=pid, Username="tom", UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=by_email)["AuthenticationResult"]
    assert public_idp.get_user(AccessToken=result["AccessToken"])["Username"] == "tom"


def test_failed_sign_ins_lock_the_user_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # attack: guessing passwords. From the fifth wrong one in a row the user is locked out (here
    # for ten minutes: cognito.lockout_seconds), the right password included.
    node = GureumProcess(tmp_path / "data", extra_args=["--set", "cognito.lockout_seconds=600"])
    node.start()
    try:
        idp = node.client("cognito-idp")
        public = boto3.client("cognito-idp", endpoint_url=node.endpoint, region_name="us-east-1",
                              config=Config(signature_version=UNSIGNED, retries={"max_attempts": 0}))
        pid = make_pool(idp)
        cid = make_client(idp, pid)["ClientId"]
        confirmed_user(idp, pid, "uri")
        confirmed_user(idp, pid, "val")
        signin = {"ClientId": cid, "AuthFlow": "USER_PASSWORD_AUTH"}
        for i in range(4):  # four wrong, then the right one: no lockout, and the count starts again
            assert error_of(lambda i=i: public.initiate_auth(**signin, AuthParameters={"USERNAME": "val", "PASSWORD": f"Wrong{i}!pass"})) == WRONG
        assert public.initiate_auth(**signin, AuthParameters={"USERNAME": "val", "PASSWORD": STRONG})["AuthenticationResult"]
        for i in range(5):
            assert error_of(lambda i=i: public.initiate_auth(**signin, AuthParameters={"USERNAME": "uri", "PASSWORD": f"Wrong{i}!pass"})) == WRONG
        locked = ("NotAuthorizedException", "Password attempts exceeded")
        assert error_of(lambda: public.initiate_auth(**signin, AuthParameters={"USERNAME": "uri", "PASSWORD": STRONG})) == locked
        assert error_of(lambda: AWSSRP(username="uri", password=STRONG, pool_id=pid, client_id=cid, client=public).authenticate_user()) == locked
        assert public.initiate_auth(**signin, AuthParameters={"USERNAME": "val", "PASSWORD": STRONG})["AuthenticationResult"]
        # an administrator's new password ends the lockout
        idp.admin_set_user_password(UserPoolId=pid, Username="uri", Password=STRONG, Permanent=True)
        assert public.initiate_auth(**signin, AuthParameters={"USERNAME": "uri", "PASSWORD": STRONG})["AuthenticationResult"]
    finally:
        node.stop()


def test_sign_up_with_email_as_username(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    out = public_idp.sign_up(ClientId=cid, Username="zoe@example.com", Password=STRONG)
    assert error_of(lambda: public_idp.sign_up(ClientId=cid, Username="Zoe@Example.com", Password=STRONG)) == (
        "UsernameExistsException", "An account with the given email already exists.")
    code = last_code(gureum, out["UserSub"], "signup")  # the user is named by its sub
    public_idp.confirm_sign_up(ClientId=cid, Username="zoe@example.com", ConfirmationCode=code)
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "zoe@example.com", "PASSWORD": STRONG})["AuthenticationResult"]
    assert public_idp.get_user(AccessToken=result["AccessToken"])["Username"] == out["UserSub"]


def test_malformed_tokens_and_proofs_get_aws_errors_never_a_500(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    # attack: values a client controls, shaped to break the server's parsing and comparisons
    pid = make_pool(idp)
    client = make_client(idp, pid, GenerateSecret=True)
    cid = client["ClientId"]
    confirmed_user(idp, pid, "amy")
    not_ascii = "é" * 44
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": "amy", "PASSWORD": STRONG, "SECRET_HASH": not_ascii})) == (
        "NotAuthorizedException", f"Unable to verify secret hash for client {cid}")
    list_payload = "eyJhbGciOiJSUzI1NiJ9.WzFd.c2ln"  # a JWT whose claims are the JSON list [1]
    assert error_of(lambda: public_idp.get_user(AccessToken=list_payload)) == ("NotAuthorizedException", "Invalid Access Token")
    srp = AWSSRP(username="amy", password=STRONG, pool_id=pid, client_id=cid, client_secret=client["ClientSecret"], client=public_idp)
    challenge = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params())
    answers = srp.process_challenge(challenge["ChallengeParameters"], srp.get_auth_params())
    answers["PASSWORD_CLAIM_SIGNATURE"] = not_ascii
    assert error_of(lambda: public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="PASSWORD_VERIFIER",
                                                                 ChallengeResponses=answers)) == WRONG
