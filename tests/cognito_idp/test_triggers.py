"""Cognito's Lambda triggers, each observed by a real function run by gureum's Lambda:
PreSignUp (autoConfirmUser, autoVerifyEmail, a refusal), PostConfirmation,
PreAuthentication, PostAuthentication, PreTokenGeneration V1_0 and V2_0, CustomMessage,
UserMigration, and CUSTOM_AUTH's Define/Create/VerifyAuthChallenge; a trigger's error fails
the flow with UserLambdaValidationException."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jwt
import pytest
from waiting import wait_for

from .helpers import STRONG, confirmed_user, error_of, last_code, make_client, make_pool, uniq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lambda_.lambda_helpers import TRUST, log_lines, zip_of  # noqa: E402

TRIGGER = '''
import json

def handler(event, context):
    print("EVENT " + json.dumps(event))
    source, req, user = event["triggerSource"], event["request"], event["userName"]
    resp = event["response"]
    if source == "PreSignUp_SignUp":
        if user.startswith("deny"):
            raise Exception("Sign-ups from deny are closed")
        if req["userAttributes"].get("email", "").endswith("@auto.test"):
            resp["autoConfirmUser"] = True
            resp["autoVerifyEmail"] = True
    elif source == "PreAuthentication_Authentication":
        if user.startswith("blocked"):
            raise Exception("blocked by policy")
    elif source.startswith("TokenGeneration_"):
        if event["version"] == "1":
            resp["claimsOverrideDetails"] = {"claimsToAddOrOverride": {"tenant": "acme"}, "claimsToSuppress": ["email"],
                                             "groupOverrideDetails": {"groupsToOverride": ["from-lambda"]}}
        else:
            resp["claimsAndScopeOverrideDetails"] = {
                "idTokenGeneration": {"claimsToAddOrOverride": {"tenant": "acme2"}},
                "accessTokenGeneration": {"claimsToAddOrOverride": {"plan": "gold"}, "claimsToSuppress": ["username"],
                                          "scopesToAdd": ["extra/scope"]}}
    elif source.startswith("CustomMessage_"):
        resp["emailMessage"] = "Hello from lambda, your code is " + req["codeParameter"]
        resp["emailSubject"] = "Custom subject"
    elif source == "UserMigration_Authentication":
        if req["password"] != "Migr4te!pass":
            raise Exception("Bad password")
        resp["userAttributes"] = {"email": user + "@legacy.test", "email_verified": "true"}
        resp["finalUserStatus"] = "CONFIRMED"
        resp["messageAction"] = "SUPPRESS"
    elif source == "DefineAuthChallenge_Authentication":
        session = req["session"]
        if session and session[-1]["challengeResult"]:
            resp.update(issueTokens=True, failAuthentication=False)
        elif len(session) >= 2:
            resp.update(issueTokens=False, failAuthentication=True)
        else:
            resp.update(issueTokens=False, failAuthentication=False, challengeName="CUSTOM_CHALLENGE")
    elif source == "CreateAuthChallenge_Authentication":
        resp["publicChallengeParameters"] = {"question": "2+2?"}
        resp["privateChallengeParameters"] = {"answer": "4"}
        resp["challengeMetadata"] = "MATH"
    elif source == "VerifyAuthChallengeResponse_Authentication":
        resp["answerCorrect"] = req["challengeAnswer"] == req["privateChallengeParameters"]["answer"]
    return event
'''

ALL = ("PreSignUp", "PostConfirmation", "PreAuthentication", "PostAuthentication", "CustomMessage", "UserMigration",
       "DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")


@pytest.fixture(scope="module")
def trigger(gureum) -> str:  # type: ignore[no-untyped-def]
    name = uniq("cognito-trigger-")
    role = gureum.client("iam").create_role(RoleName=uniq("trig"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = gureum.client("lambda")
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler", Timeout=30,
                              Code={"ZipFile": zip_of({"app.py": TRIGGER})})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(arn)


def _events(gureum: Any, arn: str, source: str, user: str) -> list[dict[str, Any]]:
    name = arn.rsplit(":", 1)[1]
    lines = log_lines(gureum, name, f'"triggerSource": "{source}"')
    out = []
    for line in lines:
        if line.startswith("EVENT "):
            event = json.loads(line[len("EVENT "):])
            if event["triggerSource"] == source and event["userName"] == user:
                out.append(event)
    return out


def _logged_events(gureum: Any, arn: str, source: str, user: str, n: int = 1) -> list[dict[str, Any]]:
    """The trigger's events of `source` for `user`, once at least `n` are in its log (logs
    arrive asynchronously)."""
    found: list[dict[str, Any]] = []

    def seen() -> bool:
        found[:] = _events(gureum, arn, source, user)
        return len(found) >= n

    wait_for(f"{n} {source} event(s) for {user} in the trigger's log", seen, 30)
    return found


def _event(gureum: Any, arn: str, source: str, user: str) -> dict[str, Any]:
    return _logged_events(gureum, arn, source, user)[-1]


def test_pre_sign_up_auto_confirms_and_post_confirmation_runs(gureum, idp, public_idp, trigger) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, LambdaConfig={k: trigger for k in ALL}, AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("auto")
    out = public_idp.sign_up(ClientId=cid, Username=name, Password=STRONG, UserAttributes=[{"Name": "email", "Value": "a@auto.test"}])
    assert out["UserConfirmed"] is True
    attrs = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pid, Username=name)["UserAttributes"]}
    assert attrs["email_verified"] == "true"
    event = _event(gureum, trigger, "PreSignUp_SignUp", name)
    assert event["userPoolId"] == pid and event["region"] == "us-east-1" and event["version"] == "1"
    assert event["callerContext"]["clientId"] == cid and event["request"]["userAttributes"]["email"] == "a@auto.test"
    assert event["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    assert _event(gureum, trigger, "PostConfirmation_ConfirmSignUp", name)["request"]["userAttributes"]["email"] == "a@auto.test"
    # a refusal fails the sign-up with AWS's message, and no user is made
    assert error_of(lambda: public_idp.sign_up(ClientId=cid, Username="deny" + name, Password=STRONG)) == (
        "UserLambdaValidationException", "PreSignUp failed with error Sign-ups from deny are closed.")
    assert error_of(lambda: idp.admin_get_user(UserPoolId=pid, Username="deny" + name))[0] == "UserNotFoundException"


def test_custom_message_shapes_the_code_and_pre_post_authentication_run(gureum, idp, public_idp, trigger) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, LambdaConfig={k: trigger for k in ALL}, AutoVerifiedAttributes=["email"])
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("msg")
    public_idp.sign_up(ClientId=cid, Username=name, Password=STRONG, UserAttributes=[{"Name": "email", "Value": "m@x.test"}])
    code = last_code(gureum, name, "signup")
    assert f"Hello from lambda, your code is {code}" in gureum.log_path.read_text(errors="replace")
    assert _event(gureum, trigger, "CustomMessage_SignUp", name)["request"]["codeParameter"] == "{####}"
    public_idp.confirm_sign_up(ClientId=cid, Username=name, ConfirmationCode=code)
    public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": name, "PASSWORD": STRONG})
    assert _event(gureum, trigger, "PreAuthentication_Authentication", name)["callerContext"]["clientId"] == cid
    assert _event(gureum, trigger, "PostAuthentication_Authentication", name)["request"]["newDeviceUsed"] is False
    blocked = "blocked" + name
    confirmed_user(idp, pid, blocked)
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": blocked, "PASSWORD": STRONG})) == (
        "UserLambdaValidationException", "PreAuthentication failed with error blocked by policy.")


def test_pre_token_generation_v1_and_v2(gureum, idp, public_idp, trigger) -> None:  # type: ignore[no-untyped-def]
    v1 = make_pool(idp, LambdaConfig={"PreTokenGeneration": trigger})
    c1 = make_client(idp, v1)["ClientId"]
    confirmed_user(idp, v1, "uma", email="uma@example.com")
    r1 = public_idp.initiate_auth(ClientId=c1, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "uma", "PASSWORD": STRONG})["AuthenticationResult"]
    id1 = jwt.decode(r1["IdToken"], options={"verify_signature": False})
    assert id1["tenant"] == "acme" and "email" not in id1 and id1["cognito:groups"] == ["from-lambda"]
    assert id1["cognito:username"] == "uma"
    acc1 = jwt.decode(r1["AccessToken"], options={"verify_signature": False})
    assert "tenant" not in acc1 and acc1["cognito:groups"] == ["from-lambda"]
    assert _event(gureum, trigger, "TokenGeneration_Authentication", "uma")["request"]["groupConfiguration"]["groupsToOverride"] == []
    v2 = make_pool(idp, LambdaConfig={"PreTokenGenerationConfig": {"LambdaVersion": "V2_0", "LambdaArn": trigger}})
    c2 = make_client(idp, v2)["ClientId"]
    confirmed_user(idp, v2, "vic")
    r2 = public_idp.initiate_auth(ClientId=c2, AuthFlow="USER_PASSWORD_AUTH",
                                  AuthParameters={"USERNAME": "vic", "PASSWORD": STRONG})["AuthenticationResult"]
    id2 = jwt.decode(r2["IdToken"], options={"verify_signature": False})
    acc2 = jwt.decode(r2["AccessToken"], options={"verify_signature": False})
    assert id2["tenant"] == "acme2" and acc2["plan"] == "gold"
    assert "extra/scope" in acc2["scope"].split()
    assert acc2["username"] == "vic"  # AWS's reserved claims are never suppressed
    event = _event(gureum, trigger, "TokenGeneration_Authentication", "vic")
    assert event["version"] == "2" and "aws.cognito.signin.user.admin" in event["request"]["scopes"]
    # refreshed tokens go through the trigger as TokenGeneration_RefreshTokens
    public_idp.initiate_auth(ClientId=c2, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": r2["RefreshToken"]})
    assert _event(gureum, trigger, "TokenGeneration_RefreshTokens", "vic")["userPoolId"] == v2


def test_user_migration_makes_the_user_on_first_sign_in(gureum, idp, public_idp, trigger) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, LambdaConfig={"UserMigration": trigger})
    cid = make_client(idp, pid)["ClientId"]
    assert error_of(lambda: public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                                     AuthParameters={"USERNAME": "wes", "PASSWORD": "Wrong!pass1"})) == (
        "UserLambdaValidationException", "UserMigration failed with error Bad password.")
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "wes", "PASSWORD": "Migr4te!pass"})["AuthenticationResult"]
    assert result["AccessToken"]
    user = idp.admin_get_user(UserPoolId=pid, Username="wes")
    assert user["UserStatus"] == "CONFIRMED"
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["email"] == "wes@legacy.test"
    # both sign-ins asked the function, each with the password given (their log lines arrive
    # asynchronously, and not necessarily in order: wait for both)
    asked = _logged_events(gureum, trigger, "UserMigration_Authentication", "wes", 2)
    assert sorted(e["request"]["password"] for e in asked) == ["Migr4te!pass", "Wrong!pass1"]
    # the second sign-in is the pool's own (the function is not asked again for a known user)
    public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "wes", "PASSWORD": "Migr4te!pass"})


def test_custom_auth_challenge_triggers(gureum, idp, public_idp, trigger) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, LambdaConfig={k: trigger for k in ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")})
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "xena")
    first = public_idp.initiate_auth(ClientId=cid, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "xena"})
    assert first["ChallengeName"] == "CUSTOM_CHALLENGE" and first["ChallengeParameters"]["question"] == "2+2?"
    second = public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="CUSTOM_CHALLENGE", Session=first["Session"],
                                                  ChallengeResponses={"USERNAME": "xena", "ANSWER": "5"})
    assert second["ChallengeName"] == "CUSTOM_CHALLENGE"
    done = public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="CUSTOM_CHALLENGE", Session=second["Session"],
                                                ChallengeResponses={"USERNAME": "xena", "ANSWER": "4"})
    assert done["AuthenticationResult"]["IdToken"]
    define = _logged_events(gureum, trigger, "DefineAuthChallenge_Authentication", "xena", 3)
    assert [len(e["request"]["session"]) for e in define] == [0, 1, 2]
    assert define[-1]["request"]["session"][-1] == {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True,
                                                     "challengeMetadata": "MATH"}
    verify = _logged_events(gureum, trigger, "VerifyAuthChallengeResponse_Authentication", "xena", 2)
    assert [e["request"]["challengeAnswer"] for e in verify] == ["5", "4"]
    # two wrong answers: DefineAuthChallenge fails the attempt
    again = public_idp.initiate_auth(ClientId=cid, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "xena"})
    wrong = public_idp.respond_to_auth_challenge(ClientId=cid, ChallengeName="CUSTOM_CHALLENGE", Session=again["Session"],
                                                 ChallengeResponses={"USERNAME": "xena", "ANSWER": "1"})
    assert error_of(lambda: public_idp.respond_to_auth_challenge(
        ClientId=cid, ChallengeName="CUSTOM_CHALLENGE", Session=wrong["Session"],
        ChallengeResponses={"USERNAME": "xena", "ANSWER": "2"})) == ("NotAuthorizedException", "Incorrect username or password.")


def test_a_missing_trigger_function_fails_the_flow(idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp, LambdaConfig={"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:does-not-exist"})
    cid = make_client(idp, pid)["ClientId"]
    code, message = error_of(lambda: public_idp.sign_up(ClientId=cid, Username=uniq(), Password=STRONG))
    assert code == "UserLambdaValidationException" and message.startswith("PreSignUp failed with error ")
