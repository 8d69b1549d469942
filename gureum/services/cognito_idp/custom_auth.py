"""CUSTOM_AUTH: the DefineAuthChallenge, CreateAuthChallenge and
VerifyAuthChallengeResponse triggers drive the attempt, as AWS runs them. The session row
(flows.CHALLENGES) keeps the challenge history ("history": [{"challengeName",
"challengeResult", "challengeMetadata"}]) and the private challenge parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.cognito_idp import flows, triggers, users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App


async def _define(app: App, attempt: Any, user: Doc, history: list[Doc]) -> Doc:
    response = await triggers.invoke(app, attempt.pool, "DefineAuthChallenge", "DefineAuthChallenge_Authentication",
                                     user["Username"], attempt.client["ClientId"],
                                     {"userAttributes": triggers.attrs_of(user), "session": history, "userNotFound": False,
                                      "clientMetadata": attempt.metadata},
                                     {"challengeName": None, "issueTokens": False, "failAuthentication": False})
    if response is None:
        raise err("InvalidLambdaResponseException", "DefineAuthChallenge trigger is not configured.")
    return response


async def _next(app: App, attempt: Any, user: Doc, history: list[Doc], now: float) -> Doc:
    decided = await _define(app, attempt, user, history)
    if decided.get("failAuthentication"):
        raise err("NotAuthorizedException", "Incorrect username or password.")
    if decided.get("issueTokens"):
        return await flows.succeed(app, attempt, user, now, "Authentication")
    name = decided.get("challengeName") or "CUSTOM_CHALLENGE"
    if name != "CUSTOM_CHALLENGE":
        raise err("InvalidLambdaResponseException", f"Unsupported challenge name {name} from DefineAuthChallenge.")
    created = await triggers.invoke(app, attempt.pool, "CreateAuthChallenge", "CreateAuthChallenge_Authentication",
                                    user["Username"], attempt.client["ClientId"],
                                    {"userAttributes": triggers.attrs_of(user), "challengeName": name, "session": history,
                                     "userNotFound": False, "clientMetadata": attempt.metadata},
                                    {"publicChallengeParameters": None, "privateChallengeParameters": None,
                                     "challengeMetadata": None}) or {}
    public = {str(k): str(v) for k, v in (created.get("publicChallengeParameters") or {}).items()}
    session = await app.store.run(lambda t: flows.new_challenge(
        t, attempt, user, name, now, history=history, private=created.get("privateChallengeParameters") or {},
        metadata=created.get("challengeMetadata")))
    return {"ChallengeName": name, "Session": session, "ChallengeParameters": {**public, "USERNAME": user["Username"]}}


async def start(app: App, attempt: Any, params: Doc, now: float) -> Doc:
    name = params.get("USERNAME")
    if not name:
        raise err("InvalidParameterException", "Missing required parameter USERNAME")
    user = await flows.find_for_login(app, attempt, name, None)
    await flows.secret_hash(app, attempt, params.get("SECRET_HASH"), name, user["Username"])
    flows.check_usable(user)
    await flows.pre_auth(app, attempt, user)
    return await _next(app, attempt, user, [], now)


async def answer(app: App, attempt: Any, session: str, answers: Doc, now: float) -> Doc:
    def take(t: Txn) -> tuple[Doc, Doc]:
        row = flows.take_challenge(t, session, attempt.client["ClientId"], "CUSTOM_CHALLENGE", now)
        return row, flows.user_of_row(t, attempt.pool, row)

    row, user = await app.store.run(take)
    verified = await triggers.invoke(app, attempt.pool, "VerifyAuthChallengeResponse",
                                     "VerifyAuthChallengeResponse_Authentication", user["Username"],
                                     attempt.client["ClientId"],
                                     {"userAttributes": triggers.attrs_of(user),
                                      "privateChallengeParameters": row.get("private") or {},
                                      "challengeAnswer": answers.get("ANSWER", ""), "userNotFound": False,
                                      "clientMetadata": attempt.metadata}, {"answerCorrect": None}) or {}
    history = list(row.get("history") or []) + [{"challengeName": "CUSTOM_CHALLENGE",
                                                 "challengeResult": bool(verified.get("answerCorrect")),
                                                 "challengeMetadata": row.get("metadata")}]
    user = await app.store.read(lambda t: users.must_find(t, attempt.pool, user["Username"]))
    return await _next(app, attempt, user, history, now)
