"""Lex V2's answers are in their output shapes: the raw responses of a model-building pass
and a dialog walked against botocore's model (tests/aws/shape_check.py)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.aws.shape_check import ShapeRecorder
from tests.lexv2.test_dialog import _built, _prompt


def test_models_and_runtime_responses_match_the_model(gureum: Any) -> None:
    models, runtime = gureum.client("lexv2-models"), gureum.client("lexv2-runtime")
    rm, rr = ShapeRecorder(models), ShapeRecorder(runtime)
    bot = models.create_bot(botName=f"Shape{uuid.uuid4().hex[:6]}", roleArn="arn:aws:iam::000000000000:role/lex",
                            dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=300, botTags={"a": "b"})["botId"]
    common = {"botId": bot, "botVersion": "DRAFT", "localeId": "en_US"}
    models.describe_bot(botId=bot)
    models.list_bots()
    models.create_bot_locale(nluIntentConfidenceThreshold=0.4, **common)
    kind = models.create_slot_type(slotTypeName="Color", slotTypeValues=[{"sampleValue": {"value": "red"}}], **common)["slotTypeId"]
    models.describe_slot_type(slotTypeId=kind, **common)
    models.list_slot_types(**common)
    intent = models.create_intent(intentName="Paint", sampleUtterances=[{"utterance": "paint it {Color}"}], **common)["intentId"]
    slot = models.create_slot(slotName="Color", slotTypeId=kind, intentId=intent, valueElicitationSetting={
        "slotConstraint": "Required", "promptSpecification": _prompt("Which color?")}, **common)["slotId"]
    models.describe_slot(slotId=slot, intentId=intent, **common)
    models.list_slots(intentId=intent, **common)
    models.describe_intent(intentId=intent, **common)
    models.list_intents(**common)
    models.build_bot_locale(**common)
    assert _built(models, bot)["botLocaleStatus"] == "Built"
    models.list_bot_locales(botId=bot, botVersion="DRAFT")
    models.create_bot_version(botId=bot, botVersionLocaleSpecification={"en_US": {"sourceBotVersion": "DRAFT"}})
    models.describe_bot_version(botId=bot, botVersion="1")
    alias = models.create_bot_alias(botId=bot, botAliasName="live", botVersion="1")["botAliasId"]
    models.describe_bot_alias(botId=bot, botAliasId=alias)
    models.list_bot_aliases(botId=bot)
    models.list_bot_versions(botId=bot)
    session = uuid.uuid4().hex
    runtime.recognize_text(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session, text="paint it")
    runtime.recognize_text(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session, text="red")
    runtime.recognize_text(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session, text="zzz qqq")
    runtime.get_session(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session)
    runtime.put_session(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session,
                        sessionState={"dialogAction": {"type": "ElicitIntent"}},
                        messages=[{"contentType": "PlainText", "content": "hi"}])
    runtime.delete_session(botId=bot, botAliasId=alias, localeId="en_US", sessionId=session)
    models.delete_bot_alias(botId=bot, botAliasId=alias)
    models.delete_slot(slotId=slot, intentId=intent, **common)
    models.delete_intent(intentId=intent, **common)
    models.delete_bot(botId=bot)
    assert not rm.findings, rm.report()
    assert not rr.findings, rr.report()
    assert len(rm.operations) >= 20 and len(rr.operations) >= 4
