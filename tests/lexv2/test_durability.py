"""A Lex V2 bot, its build and a conversation in progress survive a restart of gureum (all
of it is in the store)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.lexv2.test_dialog import _built, _prompt


def test_a_conversation_goes_on_after_a_restart(fresh_gureum: Any) -> None:
    models = fresh_gureum.client("lexv2-models")
    bot = models.create_bot(botName="Durable", roleArn="arn:aws:iam::000000000000:role/lex",
                            dataPrivacy={"childDirected": False}, idleSessionTTLInSeconds=600)["botId"]
    common = {"botId": bot, "botVersion": "DRAFT", "localeId": "en_US"}
    models.create_bot_locale(nluIntentConfidenceThreshold=0.4, **common)
    intent = models.create_intent(intentName="Book", sampleUtterances=[{"utterance": "book a table"}], **common)["intentId"]
    models.create_slot(slotName="People", slotTypeId="AMAZON.Number", intentId=intent, valueElicitationSetting={
        "slotConstraint": "Required", "promptSpecification": _prompt("For how many?")}, **common)
    models.build_bot_locale(**common)
    assert _built(models, bot)["botLocaleStatus"] == "Built"
    session = uuid.uuid4().hex
    first = fresh_gureum.client("lexv2-runtime").recognize_text(botId=bot, botAliasId="TSTALIASID", localeId="en_US",
                                                                sessionId=session, text="book a table")
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "People"}
    fresh_gureum.restart()
    second = fresh_gureum.client("lexv2-runtime").recognize_text(botId=bot, botAliasId="TSTALIASID", localeId="en_US",
                                                                 sessionId=session, text="four")
    assert second["sessionState"]["intent"]["slots"]["People"]["value"]["interpretedValue"] == "4"
    assert second["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
