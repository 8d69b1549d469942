"""The classifier, slot values and Alexa envelopes on values: deterministic scores, slot
patterns, built-in types, custom values with synonyms."""

from __future__ import annotations

import datetime as dt

from gureum.services.lexv2 import alexa
from gureum.services.lexv2.classifier import IntentSpec, SlotSpec, rank, score_intent
from gureum.services.lexv2.slot_values import SlotType, parse_date, parse_number, resolve

SIZE = SlotType("Size", (("large", ("big", "huge")), ("small", ())), "TopResolution")
ORDER = IntentSpec("Order", ("i want a {Size} pizza", "order pizza"), (SlotSpec("Size", SIZE),))
HOURS = IntentSpec("Hours", ("when are you open", "opening hours"))
TODAY = dt.date(2026, 12, 3)  # a Thursday


def test_a_sample_pattern_fills_its_slot_and_scores_one() -> None:
    m = score_intent("I want a HUGE pizza", ORDER)
    assert m.score == 1.0 and m.slots["Size"]["interpretedValue"] == "large"
    assert m.slots["Size"]["originalValue"] == "huge"


def test_overlap_scores_are_deterministic_and_rank_orders_them() -> None:
    first = rank("are you open on sunday", [ORDER, HOURS])
    assert [m.intent for m in first] == ["Hours", "Order"]
    assert first == rank("are you open on sunday", [ORDER, HOURS])
    assert 0 < first[0].score < 1.0 and first[1].score == 0.0
    found = score_intent("could I order a big pizza", ORDER)
    assert found.slots["Size"]["interpretedValue"] == "large" and found.score > 0.4


def test_builtin_types() -> None:
    assert parse_number("forty two") == 42 and parse_number("one hundred and five") == 105 and parse_number("7") == 7
    assert parse_number("banana") is None
    assert parse_date("tomorrow", TODAY) == dt.date(2026, 12, 4)
    assert parse_date("monday", TODAY) == dt.date(2026, 12, 7)
    assert parse_date("march 5", TODAY) == dt.date(2027, 3, 5)
    assert parse_date("2026-12-25", TODAY) == dt.date(2026, 12, 25)
    assert resolve(SlotType("AMAZON.AlphaNumeric", builtin=True), "AB 12", eliciting=True) == {
        "originalValue": "AB 12", "interpretedValue": "AB12", "resolvedValues": ["AB12"]}
    assert resolve(SIZE, "medium", eliciting=True) is None  # TopResolution: only listed values
    loose = SlotType("Size", SIZE.values, "OriginalValue")
    assert resolve(loose, "medium", eliciting=True) == {"originalValue": "medium", "interpretedValue": "medium",
                                                         "resolvedValues": []}


def test_alexa_requests_from_the_interaction_model() -> None:
    model = {"invocationName": "pizza shop", "intents": [
        {"name": "OrderIntent", "slots": [{"name": "Count", "type": "AMAZON.NUMBER"}], "samples": ["order {Count} pizzas"]},
        {"name": "AMAZON.HelpIntent", "samples": []}]}
    assert alexa.build_request(model, "", "skill")["type"] == "LaunchRequest"
    assert alexa.build_request(model, "open pizza shop", "skill")["type"] == "LaunchRequest"
    req = alexa.build_request(model, "ask pizza shop to order three pizzas", "skill")
    assert req["intent"]["name"] == "OrderIntent" and req["intent"]["slots"]["Count"]["value"] == "3"
    assert alexa.build_request(model, "help", "skill")["intent"]["name"] == "AMAZON.HelpIntent"
    assert alexa.build_request(model, "x", "skill", end=True)["type"] == "SessionEndedRequest"
    allowed, token = alexa.alexa_token({"Statement": [{"Effect": "Allow", "Principal": {"Service": "alexa-appkit.amazon.com"},
                                                       "Action": "lambda:InvokeFunction",
                                                       "Condition": {"StringEquals": {"lambda:EventSourceToken": "s1"}}}]})
    assert allowed and token == "s1"
    assert alexa.alexa_token({"Statement": []}) == (False, None)
