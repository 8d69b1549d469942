"""Lex V2 through boto3: a bot built (NotBuilt -> Building -> Built, or Failed with reasons),
a dialog of several turns with a Lambda code hook (dialog and fulfillment) that sees Lex V2's
event and whose dialogAction is obeyed, slot elicitation with retries, confirmation, the
fallback intent below the threshold, sessions, versions and aliases."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from waiting import wait_for

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
HOOK = '''
import json

def handler(event, context):
    print("LEXEVENT " + json.dumps(event))
    intent = event["sessionState"]["intent"]
    if event["invocationSource"] == "DialogCodeHook":
        size = (intent["slots"].get("Size") or {}).get("value", {}).get("interpretedValue")
        if size == "medium":
            return {"sessionState": {"dialogAction": {"type": "ElicitSlot", "slotToElicit": "Size"},
                                     "intent": {**intent, "slots": {**intent["slots"], "Size": None}}},
                    "messages": [{"contentType": "PlainText", "content": "We are out of medium. Small or large?"}]}
        return {"sessionState": {"dialogAction": {"type": "Delegate"}, "intent": intent,
                                 "sessionAttributes": {"seen": "yes"}}}
    slots = intent["slots"]
    intent["state"] = "Fulfilled"
    text = "Ordered %s %s pizzas" % (slots["Count"]["value"]["interpretedValue"], slots["Size"]["value"]["interpretedValue"])
    return {"sessionState": {"dialogAction": {"type": "Close"}, "intent": intent},
            "messages": [{"contentType": "PlainText", "content": text}]}
'''


def _prompt(text: str, retries: int = 2) -> dict[str, Any]:
    return {"messageGroups": [{"message": {"plainTextMessage": {"value": text}}}], "maxRetries": retries}


def _function(gureum: Any) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HOOK)
    role = gureum.client("iam").create_role(RoleName=f"lex-{uuid.uuid4().hex[:6]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = gureum.client("lambda")
    name = f"lexhook-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    wait_for(f"{name} active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", 60)
    return str(arn)


def _built(models: Any, bot: str, version: str = "DRAFT") -> dict[str, Any]:
    found: dict[str, Any] = {}

    def done() -> bool:
        found.update(models.describe_bot_locale(botId=bot, botVersion=version, localeId="en_US"))
        return found["botLocaleStatus"] in ("Built", "Failed")

    wait_for("the locale built", done, 30, interval=0.1)
    return found


@pytest.fixture(scope="module")
def pizza(gureum: Any) -> dict[str, str]:
    models = gureum.client("lexv2-models")
    bot = models.create_bot(botName=f"Pizza{uuid.uuid4().hex[:6]}", roleArn="arn:aws:iam::000000000000:role/lex",
                            dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300)
    assert bot["botStatus"] == "Creating"
    bot_id = bot["botId"]
    common = {"botId": bot_id, "botVersion": "DRAFT", "localeId": "en_US"}
    models.create_bot_locale(nluIntentConfidenceThreshold=0.5, **common)
    size = models.create_slot_type(slotTypeName="PizzaSize", valueSelectionSetting={"resolutionStrategy": "TopResolution"},
                                   slotTypeValues=[{"sampleValue": {"value": "small"}},
                                                   {"sampleValue": {"value": "medium"}},
                                                   {"sampleValue": {"value": "large"}, "synonyms": [{"value": "big"}, {"value": "huge"}]}],
                                   **common)["slotTypeId"]
    intent = models.create_intent(intentName="OrderPizza", sampleUtterances=[
        {"utterance": "I want a {Size} pizza"}, {"utterance": "order a pizza"}, {"utterance": "pizza please"}],
        dialogCodeHook={"enabled": True}, fulfillmentCodeHook={"enabled": True},
        intentConfirmationSetting={"promptSpecification": _prompt("Shall I place the order?"),
                                   "declinationResponse": {"messageGroups": [{"message": {"plainTextMessage": {"value": "Okay, cancelled."}}}]}},
        **common)["intentId"]
    s1 = models.create_slot(slotName="Size", slotTypeId=size, intentId=intent, valueElicitationSetting={
        "slotConstraint": "Required", "promptSpecification": _prompt("What size?")}, **common)["slotId"]
    s2 = models.create_slot(slotName="Count", slotTypeId="AMAZON.Number", intentId=intent, valueElicitationSetting={
        "slotConstraint": "Required", "promptSpecification": _prompt("How many pizzas?", retries=1)}, **common)["slotId"]
    models.update_intent(intentId=intent, intentName="OrderPizza", sampleUtterances=[
        {"utterance": "I want a {Size} pizza"}, {"utterance": "order a pizza"}, {"utterance": "pizza please"}],
        dialogCodeHook={"enabled": True}, fulfillmentCodeHook={"enabled": True},
        intentConfirmationSetting={"promptSpecification": _prompt("Shall I place the order?"),
                                   "declinationResponse": {"messageGroups": [{"message": {"plainTextMessage": {"value": "Okay, cancelled."}}}]}},
        slotPriorities=[{"priority": 1, "slotId": s1}, {"priority": 2, "slotId": s2}], **common)
    models.create_intent(intentName="Hours", sampleUtterances=[{"utterance": "when are you open"},
                                                               {"utterance": "what are your opening hours"}],
                         intentClosingSetting={"closingResponse": {"messageGroups": [
                             {"message": {"plainTextMessage": {"value": "We open at nine."}}}]}}, **common)
    assert models.describe_bot_locale(**common)["botLocaleStatus"] == "NotBuilt"
    assert models.build_bot_locale(**common)["botLocaleStatus"] == "Building"
    built = _built(models, bot_id)
    assert built["botLocaleStatus"] == "Built", built.get("failureReasons")
    assert built["intentsCount"] == 3 and built["slotTypesCount"] == 1
    function = _function(gureum)
    models.update_bot_alias(botId=bot_id, botAliasId="TSTALIASID", botAliasName="TestBotAlias", botAliasLocaleSettings={
        "en_US": {"enabled": True, "codeHookSpecification": {"lambdaCodeHook": {"lambdaARN": function,
                                                                                 "codeHookInterfaceVersion": "1.0"}}}})
    return {"bot": bot_id, "function": function}


def _say(runtime: Any, bot: str, session: str, text: str, alias: str = "TSTALIASID") -> dict[str, Any]:
    return dict(runtime.recognize_text(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session, text=text))


def _messages(resp: dict[str, Any]) -> list[str]:
    return [m["content"] for m in resp.get("messages", [])]


def test_a_dialog_fills_slots_confirms_and_fulfils_through_the_code_hook(gureum: Any, pizza: dict[str, str]) -> None:
    runtime = gureum.client("lexv2-runtime")
    session = uuid.uuid4().hex
    first = _say(runtime, pizza["bot"], session, "I want a big pizza")
    state = first["sessionState"]
    assert state["intent"]["name"] == "OrderPizza"
    assert state["intent"]["slots"]["Size"]["value"]["interpretedValue"] == "large"
    assert state["intent"]["slots"]["Size"]["value"]["originalValue"] == "big"
    assert state["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Count"}
    assert _messages(first) == ["How many pizzas?"]
    assert state["sessionAttributes"] == {"seen": "yes"}  # set by the dialog code hook
    assert first["interpretations"][0]["nluConfidence"]["score"] == 1.0
    second = _say(runtime, pizza["bot"], session, "three")
    assert second["sessionState"]["intent"]["slots"]["Count"]["value"]["interpretedValue"] == "3"
    assert second["sessionState"]["dialogAction"]["type"] == "ConfirmIntent"
    assert _messages(second) == ["Shall I place the order?"]
    third = _say(runtime, pizza["bot"], session, "yes please")
    assert third["sessionState"]["dialogAction"]["type"] == "Close"
    assert third["sessionState"]["intent"]["state"] == "Fulfilled"
    assert third["sessionState"]["intent"]["confirmationState"] == "Confirmed"
    assert _messages(third) == ["Ordered 3 large pizzas"]
    got = runtime.get_session(botId=pizza["bot"], botAliasId="TSTALIASID", localeId="en_US", sessionId=session)
    assert got["sessionState"]["intent"]["state"] == "Fulfilled"
    # the function saw Lex V2's event
    logs = gureum.client("logs")
    name = pizza["function"].rsplit(":", 1)[1]
    events: list[dict[str, Any]] = []

    def seen() -> bool:
        try:  # the log group appears with the function's first flushed log line
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="LEXEVENT")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        events[:] = [json.loads(e["message"].split("LEXEVENT ", 1)[1]) for e in found if "LEXEVENT " in e["message"]]
        return any(e["invocationSource"] == "FulfillmentCodeHook" and e["sessionId"] == session for e in events)

    wait_for("the fulfillment event in the function's log", seen, 30, interval=0.3)
    mine = [e for e in events if e["sessionId"] == session]
    first_event = mine[0]
    assert first_event["messageVersion"] == "1.0" and first_event["invocationSource"] == "DialogCodeHook"
    assert first_event["inputTranscript"] == "I want a big pizza" and first_event["inputMode"] == "Text"
    assert first_event["bot"]["aliasId"] == "TSTALIASID" and first_event["bot"]["localeId"] == "en_US"
    assert first_event["bot"]["version"] == "DRAFT"
    assert first_event["proposedNextState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Count"}
    assert first_event["interpretations"][0]["nluConfidence"] == 1.0
    fulfil = [e for e in mine if e["invocationSource"] == "FulfillmentCodeHook"][0]
    assert fulfil["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    assert fulfil["sessionState"]["sessionAttributes"] == {"seen": "yes"}


def test_the_code_hook_can_reelicit_a_slot(gureum: Any, pizza: dict[str, str]) -> None:
    runtime = gureum.client("lexv2-runtime")
    session = uuid.uuid4().hex
    resp = _say(runtime, pizza["bot"], session, "I want a medium pizza")
    assert resp["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Size"}
    assert _messages(resp) == ["We are out of medium. Small or large?"]
    resp = _say(runtime, pizza["bot"], session, "small")
    assert resp["sessionState"]["intent"]["slots"]["Size"]["value"]["interpretedValue"] == "small"
    assert resp["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Count"}


def test_elicitation_retries_then_fails_and_denial_cancels(gureum: Any, pizza: dict[str, str]) -> None:
    runtime = gureum.client("lexv2-runtime")
    session = uuid.uuid4().hex
    _say(runtime, pizza["bot"], session, "I want a small pizza")
    retry = _say(runtime, pizza["bot"], session, "banana")
    assert retry["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Count"}
    assert _messages(retry) == ["How many pizzas?"]
    failed = _say(runtime, pizza["bot"], session, "banana again")
    assert failed["sessionState"]["intent"]["state"] == "Failed"
    assert failed["sessionState"]["dialogAction"]["type"] == "Close"
    other = uuid.uuid4().hex
    _say(runtime, pizza["bot"], other, "I want a large pizza")
    _say(runtime, pizza["bot"], other, "2")
    denied = _say(runtime, pizza["bot"], other, "no")
    assert denied["sessionState"]["intent"]["confirmationState"] == "Denied"
    assert denied["sessionState"]["intent"]["state"] == "Failed" and _messages(denied) == ["Okay, cancelled."]


def test_low_confidence_goes_to_the_fallback_intent_and_sessions_can_be_deleted(gureum: Any, pizza: dict[str, str]) -> None:
    runtime = gureum.client("lexv2-runtime")
    session = uuid.uuid4().hex
    resp = _say(runtime, pizza["bot"], session, "tell me about the weather on mars")
    assert resp["sessionState"]["intent"]["name"] == "FallbackIntent"
    assert resp["sessionState"]["dialogAction"]["type"] == "Close"
    assert "nluConfidence" not in resp["interpretations"][0]
    hours = _say(runtime, pizza["bot"], session, "when are you open")
    assert hours["sessionState"]["intent"]["name"] == "Hours" and _messages(hours) == ["We open at nine."]
    assert hours["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
    runtime.delete_session(botId=pizza["bot"], botAliasId="TSTALIASID", localeId="en_US", sessionId=session)
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.get_session(botId=pizza["bot"], botAliasId="TSTALIASID", localeId="en_US", sessionId=session)


def test_put_session_sets_the_dialog_state(gureum: Any, pizza: dict[str, str]) -> None:
    runtime = gureum.client("lexv2-runtime")
    session = uuid.uuid4().hex
    put = runtime.put_session(botId=pizza["bot"], botAliasId="TSTALIASID", localeId="en_US", sessionId=session,
                              sessionState={"dialogAction": {"type": "ElicitSlot", "slotToElicit": "Count"},
                                            "intent": {"name": "OrderPizza", "slots": {
                                                "Size": {"value": {"originalValue": "small", "interpretedValue": "small"}}}}})
    assert put["sessionId"] == session
    resp = _say(runtime, pizza["bot"], session, "4")
    assert resp["sessionState"]["intent"]["slots"]["Count"]["value"]["interpretedValue"] == "4"
    assert resp["sessionState"]["dialogAction"]["type"] == "ConfirmIntent"


def test_versions_and_aliases_serve_a_frozen_copy(gureum: Any, pizza: dict[str, str]) -> None:
    models, runtime = gureum.client("lexv2-models"), gureum.client("lexv2-runtime")
    version = models.create_bot_version(botId=pizza["bot"], botVersionLocaleSpecification={
        "en_US": {"sourceBotVersion": "DRAFT"}})["botVersion"]
    assert version == "1"
    alias = models.create_bot_alias(botId=pizza["bot"], botAliasName="prod", botVersion=version)["botAliasId"]
    resp = _say(runtime, pizza["bot"], uuid.uuid4().hex, "when are you open", alias=alias)
    assert resp["sessionState"]["intent"]["name"] == "Hours"
    assert [v["botVersion"] for v in models.list_bot_versions(botId=pizza["bot"])["botVersionSummaries"]] == ["1"]
    with pytest.raises(models.exceptions.PreconditionFailedException):
        models.delete_bot_version(botId=pizza["bot"], botVersion="1")
    names = {a["botAliasName"] for a in models.list_bot_aliases(botId=pizza["bot"])["botAliasSummaries"]}
    assert names == {"TestBotAlias", "prod"}


def test_a_locale_without_intents_fails_to_build_and_errors_are_aws_shaped(gureum: Any) -> None:
    models, runtime = gureum.client("lexv2-models"), gureum.client("lexv2-runtime")
    bot = models.create_bot(botName=f"Empty{uuid.uuid4().hex[:6]}", roleArn="arn:aws:iam::000000000000:role/lex",
                            dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=60)["botId"]
    models.create_bot_locale(botId=bot, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
    models.build_bot_locale(botId=bot, botVersion="DRAFT", localeId="en_US")
    built = _built(models, bot)
    assert built["botLocaleStatus"] == "Failed" and built["failureReasons"]
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        _say(runtime, bot, "s1", "hello")
    with pytest.raises(models.exceptions.ResourceNotFoundException):
        models.describe_bot(botId="NOSUCHBOT1")
    with pytest.raises(models.exceptions.ConflictException):
        models.create_bot_locale(botId=bot, botVersion="DRAFT", localeId="en_US", nluIntentConfidenceThreshold=0.4)
    models.delete_bot(botId=bot)
    with pytest.raises(models.exceptions.ResourceNotFoundException):
        models.describe_bot(botId=bot)
