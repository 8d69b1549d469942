"""`gureum alexa ask --function F --model interaction-model.json ["utterance"]`: drive an
Alexa skill's Lambda function the way the Alexa service does, through the Lambda API of the
gureum at --endpoint.

The utterance is classified against the interaction model (its languageModel's intents,
samples and slot types; AMAZON.NUMBER and AMAZON.DATE are AMAZON.Number and AMAZON.Date of
slot_values.py; AMAZON.StopIntent, CancelIntent and HelpIntent get Alexa's usual samples)
with Lex V2's classifier (classifier.py), and sent in Alexa's request envelope:
- LaunchRequest for no utterance or "open|launch|start <invocation name>";
- IntentRequest with the intent and its slots (value, and the entity resolution of custom
  types), "ask <invocation name> [to] ..." dropping the prefix; below the confidence
  threshold AMAZON.FallbackIntent when the model has it;
- SessionEndedRequest with --end.
As the Alexa service requires, the function's resource policy must allow the principal
`alexa-appkit.amazon.com` (with a `lambda:EventSourceToken` condition, the skill id must be
that token). The skill's outputSpeech (text, or SSML) is printed; --json prints the whole
response. --session-file keeps the session (id, attributes) between calls, until the skill
ends it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

from gureum.services.lexv2.classifier import IntentSpec, SlotSpec, rank
from gureum.services.lexv2.slot_values import SlotType, words

ALEXA_PRINCIPAL = "alexa-appkit.amazon.com"
THRESHOLD = 0.4
BUILTIN_SAMPLES = {
    "AMAZON.StopIntent": ("stop", "off", "shut up", "be quiet"),
    "AMAZON.CancelIntent": ("cancel", "never mind", "forget it"),
    "AMAZON.HelpIntent": ("help", "help me", "what can you do", "what can I say"),
    "AMAZON.YesIntent": ("yes", "yeah", "sure"),
    "AMAZON.NoIntent": ("no", "nope", "no thanks"),
}
TYPE_NAMES = {"AMAZON.NUMBER": "AMAZON.Number", "AMAZON.DATE": "AMAZON.Date"}


def language_model(doc: dict[str, Any]) -> dict[str, Any]:
    model = (doc.get("interactionModel") or doc).get("languageModel")
    if not isinstance(model, dict):
        raise ValueError("the interaction model has no interactionModel.languageModel")
    return model


def slot_types(model: dict[str, Any]) -> dict[str, SlotType]:
    out = {}
    for t in model.get("types") or []:
        values = tuple((str(v["name"]["value"]), tuple(str(s) for s in v["name"].get("synonyms") or []))
                       for v in t.get("values") or [])
        out[t["name"]] = SlotType(t["name"], values, "OriginalValue")
    return out


def intents(model: dict[str, Any]) -> list[IntentSpec]:
    types = slot_types(model)
    out = []
    for i in model.get("intents") or []:
        samples = tuple(i.get("samples") or BUILTIN_SAMPLES.get(i["name"], ()))
        slots = tuple(SlotSpec(s["name"], types.get(s["type"]) or SlotType(TYPE_NAMES.get(s["type"], s["type"]), builtin=True))
                      for s in i.get("slots") or [])
        out.append(IntentSpec(i["name"], samples, slots))
    return out


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def envelope(request: dict[str, Any], skill_id: str, session: dict[str, Any], locale: str) -> dict[str, Any]:
    user = {"userId": "amzn1.ask.account.gureum"}
    application = {"applicationId": skill_id}
    return {
        "version": "1.0",
        "session": {"new": session.get("new", True), "sessionId": session["sessionId"], "application": application,
                    "attributes": session.get("attributes") or {}, "user": user},
        "context": {"System": {"application": application, "user": user,
                               "device": {"deviceId": "amzn1.ask.device.gureum", "supportedInterfaces": {}},
                               "apiEndpoint": "https://api.amazonalexa.com", "apiAccessToken": ""}},
        "request": {"requestId": f"amzn1.echo-api.request.{uuid.uuid4()}", "timestamp": _stamp(), "locale": locale,
                    **request},
    }


def build_request(model: dict[str, Any], utterance: str, skill_id: str, *, end: bool = False) -> dict[str, Any]:
    """The request part (type and its members) for `utterance`."""
    if end:
        return {"type": "SessionEndedRequest", "reason": "USER_INITIATED"}
    name = " ".join(words(str(model.get("invocationName") or "")))
    said = " ".join(words(utterance))
    if not said or (name and re.fullmatch(rf"(?:open|launch|start|ask|talk to) {re.escape(name)}", said)):
        return {"type": "LaunchRequest"}
    if name:
        said = re.sub(rf"^(?:ask|tell|open) {re.escape(name)}(?: (?:to|for|about|that))? ", "", said)
    specs = intents(model)
    ranked = rank(said, specs)
    best = ranked[0] if ranked else None
    names = {i.name for i in specs}
    if best is None or best.score < THRESHOLD:
        if "AMAZON.FallbackIntent" in names or best is None or best.score == 0:
            return {"type": "IntentRequest", "dialogState": "STARTED",
                    "intent": {"name": "AMAZON.FallbackIntent", "confirmationStatus": "NONE", "slots": {}}}
    assert best is not None
    spec = next(i for i in specs if i.name == best.intent)
    slots: dict[str, Any] = {}
    for s in spec.slots:
        slot: dict[str, Any] = {"name": s.name, "confirmationStatus": "NONE"}
        value = best.slots.get(s.name)
        if value is not None:
            shown = value["interpretedValue"] if s.kind.builtin else value["originalValue"]
            slot.update({"value": shown, "source": "USER", "slotValue": {"type": "Simple", "value": shown}})
            if not s.kind.builtin:
                matched = value.get("resolvedValues") or []
                slot["resolutions"] = {"resolutionsPerAuthority": [{
                    "authority": f"amzn1.er-authority.echo-sdk.{skill_id}.{s.kind.name}",
                    "status": {"code": "ER_SUCCESS_MATCH" if matched else "ER_SUCCESS_NO_MATCH"},
                    **({"values": [{"value": {"name": matched[0], "id": matched[0].upper()}}]} if matched else {})}]}
        slots[s.name] = slot
    return {"type": "IntentRequest", "dialogState": "STARTED",
            "intent": {"name": spec.name, "confirmationStatus": "NONE", "slots": slots}}


def alexa_token(policy: dict[str, Any]) -> tuple[bool, str | None]:
    """(whether the policy lets Alexa invoke, the skill id its condition demands if any)."""
    for st in policy.get("Statement") or []:
        principal = st.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        services = service if isinstance(service, list) else [service]
        actions = st.get("Action") if isinstance(st.get("Action"), list) else [st.get("Action")]
        if st.get("Effect") == "Allow" and ALEXA_PRINCIPAL in services and any(
                a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            token = ((st.get("Condition") or {}).get("StringEquals") or {}).get("lambda:EventSourceToken")
            return True, str(token) if token else None
    return False, None


def speech(response: dict[str, Any]) -> str:
    out = (response.get("response") or {}).get("outputSpeech") or {}
    return str(out.get("text") if out.get("type") == "PlainText" else out.get("ssml") or out.get("text") or "")


def _client(endpoint: str, region: str) -> Any:
    import botocore.session

    return botocore.session.get_session().create_client(
        "lambda", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="gureum alexa", description="Drive an Alexa skill's Lambda function.")
    sub = p.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="send one utterance (or a launch / session end) to the skill's function")
    ask.add_argument("utterance", nargs="?", default="", help="what the user says (none: LaunchRequest)")
    ask.add_argument("--function", required=True, help="the skill's function (name or ARN)")
    ask.add_argument("--model", required=True, help="the skill's interaction model (JSON, as the Alexa console exports it)")
    ask.add_argument("--skill-id", default=None, help="the skill id (default: the function policy's EventSourceToken)")
    ask.add_argument("--locale", default="en-US")
    ask.add_argument("--end", action="store_true", help="send a SessionEndedRequest")
    ask.add_argument("--session-file", default=None, help="keep the session here between calls")
    ask.add_argument("--json", action="store_true", help="print the whole response")
    ask.add_argument("--endpoint", default=os.environ.get("GUREUM_ENDPOINT") or os.environ.get("AWS_ENDPOINT_URL")
                     or "http://localhost:4566")
    ask.add_argument("--region", default=os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1")
    args = p.parse_args(argv)
    try:
        model = language_model(json.loads(Path(args.model).read_text()))
    except (OSError, ValueError) as exc:
        print(f"gureum alexa: cannot read the interaction model {args.model}: {exc}", file=sys.stderr)
        return 2
    client = _client(args.endpoint, args.region)
    try:
        policy = json.loads(client.get_policy(FunctionName=args.function)["Policy"])
    except client.exceptions.ResourceNotFoundException:
        policy = {}
    allowed, token = alexa_token(policy)
    skill_id = args.skill_id or token or f"amzn1.ask.skill.gureum-{args.function.rsplit(':', 1)[-1]}"
    if not allowed or (token and token != skill_id):
        print(f"gureum alexa: the function {args.function} does not let Alexa invoke it: add a permission for the "
              f"principal {ALEXA_PRINCIPAL}" + (f" with EventSourceToken {skill_id}" if token else "")
              + " (aws lambda add-permission --action lambda:InvokeFunction "
              f"--principal {ALEXA_PRINCIPAL} ...)", file=sys.stderr)
        return 2
    session: dict[str, Any] = {"sessionId": f"amzn1.echo-api.session.{uuid.uuid4()}", "new": True, "attributes": {}}
    state = Path(args.session_file) if args.session_file else None
    if state is not None and state.exists():
        session = {**json.loads(state.read_text()), "new": False}
    request = build_request(model, args.utterance, skill_id, end=args.end)
    payload = json.dumps(envelope(request, skill_id, session, args.locale)).encode()
    resp = client.invoke(FunctionName=args.function, Payload=payload)
    body = resp["Payload"].read()
    if resp.get("FunctionError"):
        print(f"gureum alexa: the skill failed ({resp['FunctionError']}): {body.decode(errors='replace')}", file=sys.stderr)
        return 1
    answer = json.loads(body or b"{}")
    if state is not None:
        ended = request["type"] == "SessionEndedRequest" or (answer.get("response") or {}).get("shouldEndSession", True)
        if ended:
            state.unlink(missing_ok=True)
        else:
            state.write_text(json.dumps({"sessionId": session["sessionId"], "attributes": answer.get("sessionAttributes") or {}}))
    print(json.dumps(answer, indent=1) if args.json else speech(answer))
    return 0
