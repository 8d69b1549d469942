"""The dialog machine on values, with a fake code hook: what it obeys, and a malformed or
failing function answered as Lex V2 does (DependencyFailedException), never a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.lexv2.dialog import BotRef, Turn

MSG = [{"contentType": "PlainText", "content": "Which city?"}]
SNAPSHOT = {"threshold": 0.4, "intents": [
    {"id": "I1", "name": "Weather", "parent": None, "samples": ["weather in {City}", "what is the weather"],
     "slots": [{"name": "City", "slotId": "S1", "type": {"name": "City", "values": [["Seoul", []], ["Paris", []]],
                                                          "strategy": "OriginalValue", "builtin": False},
                "required": True, "prompt": MSG, "maxRetries": 1}],
     "dialogHook": True, "fulfillmentHook": True, "confirmation": None, "closing": []},
    {"id": "FALLBCKINT", "name": "FallbackIntent", "parent": "AMAZON.FallbackIntent", "samples": [], "slots": [],
     "dialogHook": False, "fulfillmentHook": False, "confirmation": None, "closing": []}]}
BOT = BotRef("B", "Bot", "TSTALIASID", "TestBotAlias", "en_US", "DRAFT")


def turn(text: str, answer: Any, session: dict[str, Any] | None = None) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    async def hook(event: dict[str, Any]) -> Any:
        seen.append(event)
        return answer(event) if callable(answer) else answer

    return asyncio.run(Turn(SNAPSHOT, BOT, "s", session or {}, text, {}, hook, "req").run())


def test_delegate_then_fulfilment_closes_with_the_function_messages() -> None:
    def answer(event: dict[str, Any]) -> dict[str, Any]:
        intent = event["sessionState"]["intent"]
        if event["invocationSource"] == "DialogCodeHook":
            return {"sessionState": {"dialogAction": {"type": "Delegate"}, "intent": intent}}
        return {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {**intent, "state": "Fulfilled"}},
                "messages": [{"contentType": "PlainText", "content": "Sunny"}, {"contentType": "Bogus", "content": "x"}]}

    out = turn("weather in seoul", answer)
    assert out["sessionState"]["intent"]["state"] == "Fulfilled"
    assert out["messages"] == [{"contentType": "PlainText", "content": "Sunny"}]


@pytest.mark.parametrize("answer", [
    None, "text", {"sessionState": {}}, {"sessionState": {"dialogAction": {"type": "Dance"}}},
    {"sessionState": {"dialogAction": {"type": "ElicitSlot"}}},
    {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": "Weather", "slots": {"City": "Seoul"}}}},
    {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": "Weather", "slots": []}}},
    {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": "Weather", "state": "Exploded"}}},
    {"sessionState": {"dialogAction": {"type": "Close"}, "intent": {"name": 7}}},
])
def test_malformed_function_answers_are_dependency_failures(answer: Any) -> None:
    with pytest.raises(AwsError) as err:
        turn("weather in paris", answer)
    assert err.value.code == "DependencyFailedException" and err.value.status == 424
    assert err.value.message.startswith("Invalid Lambda Response")


def test_elicitation_without_a_hook_retries_then_fails() -> None:
    first = asyncio.run(Turn(SNAPSHOT, BOT, "s", {}, "what is the weather", {}, None, "r").run())
    assert first["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "City"}
    session = {"sessionState": first["sessionState"], "retries": 0}
    again = asyncio.run(Turn(SNAPSHOT, BOT, "s", session, "", {}, None, "r").run())
    assert again["sessionState"]["dialogAction"]["type"] == "ElicitSlot" and again["messages"] == MSG
    # OriginalValue accepts what is said when eliciting
    filled = asyncio.run(Turn(SNAPSHOT, BOT, "s", session, "Lyon", {}, None, "r").run())
    assert filled["sessionState"]["intent"]["slots"]["City"]["value"]["interpretedValue"] == "Lyon"
    assert filled["sessionState"]["intent"]["state"] == "ReadyForFulfillment"
