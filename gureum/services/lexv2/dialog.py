"""One RecognizeText turn of a Lex V2 conversation, over a built locale's snapshot
(locales.compile_locale) and the session so far; code hooks are called through `hook`
(an async callable taking Lex V2's Lambda event and answering the function's response), so
the machine itself does no I/O.

A turn:
1. If the session elicits a slot, the text is that slot's value (slot_values.resolve); a
   text that is not retries the prompt up to its maxRetries, then the intent fails (Close,
   state Failed). If it asks for confirmation, yes/no words set confirmationState (other
   text retries the prompt).
2. Otherwise the classifier ranks the intents; below the locale's confidence threshold the
   turn goes to FallbackIntent. Slots found in the text are filled.
3. With the intent's dialog code hook on and a function on the alias's locale, the function
   is called (invocationSource DialogCodeHook, proposedNextState = what Lex would do) and its
   `sessionState.dialogAction` obeyed: Close, ConfirmIntent, ElicitIntent, ElicitSlot, or
   Delegate (Lex goes on by the bot's configuration).
4. Lex's own next step: the first empty required slot (slot priorities) is elicited with its
   prompt; then confirmation if the intent has one (Denied closes the intent Failed with the
   declination response); then fulfillment: with the fulfillment code hook on, the function
   is called (FulfillmentCodeHook) and obeyed, else the intent is ReadyForFulfillment and the
   dialog closes with the closing response.
A function that errs or answers without a valid dialogAction is DependencyFailedException
("Invalid Lambda Response: ...") as in AWS."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lexv2.classifier import IntentSpec, SlotSpec, rank
from gureum.services.lexv2.slot_values import SlotType, resolve, words

Hook = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
ACTIONS = ("Close", "ConfirmIntent", "Delegate", "ElicitIntent", "ElicitSlot")
YES = {"yes", "yeah", "yep", "sure", "ok", "okay", "correct", "confirm", "right", "y"}
NO = {"no", "nope", "nah", "cancel", "n", "don't", "dont"}
FALLBACK = "FallbackIntent"
CONTENT_TYPES = ("PlainText", "SSML", "CustomPayload")
INTENT_STATES = ("Failed", "Fulfilled", "InProgress", "ReadyForFulfillment", "Waiting", "FulfillmentInProgress")
CONFIRMATION_STATES = ("Confirmed", "Denied", "None")


@dataclass(frozen=True)
class BotRef:
    """What the Lambda event's `bot` names."""

    id: str
    name: str
    alias_id: str
    alias_name: str
    locale: str
    version: str


def slot_type(d: dict[str, Any]) -> SlotType:
    return SlotType(d["name"], tuple((str(v), tuple(s)) for v, s in d.get("values") or []),
                    d.get("strategy") or "OriginalValue", bool(d.get("builtin")))


def specs(snapshot: dict[str, Any]) -> list[IntentSpec]:
    return [IntentSpec(i["name"], tuple(i["samples"]), tuple(SlotSpec(s["name"], slot_type(s["type"])) for s in i["slots"]))
            for i in snapshot["intents"] if i.get("parent") != "AMAZON.FallbackIntent"]


def _failed_lambda(detail: str) -> AwsError:
    return AwsError.modeled("lexv2-runtime", "DependencyFailedException", f"Invalid Lambda Response: {detail}")


def _check_intent(given: dict[str, Any]) -> None:
    """A code hook's intent must be shaped as Lex V2's: slots a map of null or {value:
    {interpretedValue}}, a known state and confirmationState."""
    if not isinstance(given["name"], str):
        raise _failed_lambda("intent.name must be a string")
    slots = given.get("slots", {})
    if slots is not None and not isinstance(slots, dict):
        raise _failed_lambda("intent.slots must be a map")
    for name, slot in (slots or {}).items():
        if slot is None:
            continue
        value = slot.get("value") if isinstance(slot, dict) else None
        if not isinstance(value, dict) or not isinstance(value.get("interpretedValue"), str):
            raise _failed_lambda(f"slot {name} has no value.interpretedValue")
        for k in ("originalValue",):
            if k in value and not isinstance(value[k], str):
                raise _failed_lambda(f"slot {name}: value.{k} must be a string")
        if "resolvedValues" in value and not (isinstance(value["resolvedValues"], list)
                                              and all(isinstance(v, str) for v in value["resolvedValues"])):
            raise _failed_lambda(f"slot {name}: value.resolvedValues must be a list of strings")
    if given.get("state", "InProgress") not in INTENT_STATES:
        raise _failed_lambda(f"intent.state must be one of {', '.join(INTENT_STATES)}")
    if given.get("confirmationState", "None") not in CONFIRMATION_STATES:
        raise _failed_lambda(f"intent.confirmationState must be one of {', '.join(CONFIRMATION_STATES)}")


def _scalar(value: dict[str, Any]) -> dict[str, Any]:
    return {"value": value, "shape": "Scalar"}


class Turn:
    """One turn's work; `run()` answers RecognizeText's result and the session to keep."""

    def __init__(self, snapshot: dict[str, Any], bot: BotRef, session_id: str, session: dict[str, Any], text: str,
                 request_attributes: dict[str, str], hook: Hook | None, request_id: str, today: dt.date | None = None,
                 session_state: dict[str, Any] | None = None) -> None:
        self.snapshot = snapshot
        self.bot = bot
        self.session_id = session_id
        self.session = session
        self.text = text
        self.attrs = dict(request_attributes)
        self.hook = hook
        self.request_id = request_id
        self.today = today
        state = dict(session_state or session.get("sessionState") or {})
        self.state: dict[str, Any] = {"sessionAttributes": dict(state.get("sessionAttributes") or {}),
                                      "activeContexts": list(state.get("activeContexts") or [])}
        self.prior_action: dict[str, Any] = dict(state.get("dialogAction") or {})
        self.intent: dict[str, Any] | None = dict(state["intent"]) if state.get("intent") else None
        self.retries = int(session.get("retries") or 0) if session_state is None else 0
        self.messages: list[dict[str, Any]] = []
        self.interpretations: list[dict[str, Any]] = []
        self.action: dict[str, Any] = {}

    # --- model lookups ----------------------------------------------------------------------
    def model(self, name: str) -> dict[str, Any]:
        for i in self.snapshot["intents"]:
            if i["name"] == name:
                return dict(i)
        return {"name": name, "slots": [], "samples": [], "confirmation": None, "closing": []}

    def _slot_model(self, intent: dict[str, Any], name: str) -> dict[str, Any] | None:
        return next((s for s in intent["slots"] if s["name"] == name), None)

    def _fresh_intent(self, name: str, filled: dict[str, Any]) -> dict[str, Any]:
        m = self.model(name)
        return {"name": name, "slots": {s["name"]: (_scalar(filled[s["name"]]) if s["name"] in filled else None)
                                        for s in m["slots"]},
                "state": "InProgress", "confirmationState": "None"}

    # --- the turn ---------------------------------------------------------------------------
    async def run(self) -> dict[str, Any]:
        active = self.intent is not None and self.intent.get("state") == "InProgress"
        kind = self.prior_action.get("type")
        if active and kind == "ElicitSlot" and self.intent is not None:
            done = self._fill_elicited()
            if done:
                return self._result()
        elif active and kind == "ConfirmIntent" and self.intent is not None:
            if self._confirm():
                return self._result()
        else:
            self._classify()
        assert self.intent is not None
        if self.intent["name"] == FALLBACK:
            await self._fulfil(self.model(FALLBACK))
            return self._result()
        await self._progress()
        return self._result()

    def _interpretation(self, score: float | None) -> dict[str, Any]:
        assert self.intent is not None
        doc: dict[str, Any] = {"intent": dict(self.intent), "interpretationSource": "Lex"}
        if score is not None:
            doc["nluConfidence"] = {"score": score}
        return doc

    def _fill_elicited(self) -> bool:
        """True when the turn ends here (a retry prompt, or the intent failed)."""
        assert self.intent is not None
        m = self.model(self.intent["name"])
        name = str(self.prior_action.get("slotToElicit") or "")
        slot = self._slot_model(m, name)
        self.interpretations = [self._interpretation(1.0)]
        if slot is None:
            return False
        value = resolve(slot_type(slot["type"]), self.text, eliciting=True, today=self.today)
        if value is not None:
            self.intent["slots"] = {**(self.intent.get("slots") or {}), name: _scalar(value)}
            self.retries = 0
            self.interpretations = [self._interpretation(1.0)]
            return False
        self.retries += 1
        if self.retries > int(slot.get("maxRetries", 2)):
            self._close("Failed", [])
            return True
        self.action = {"type": "ElicitSlot", "slotToElicit": name}
        self.messages = list(slot["prompt"])
        return True

    def _confirm(self) -> bool:
        assert self.intent is not None
        ws = set(words(self.text))
        self.interpretations = [self._interpretation(1.0)]
        if ws & YES and not ws & NO:
            self.intent["confirmationState"] = "Confirmed"
        elif ws & NO:
            self.intent["confirmationState"] = "Denied"
        else:
            conf = self.model(self.intent["name"]).get("confirmation") or {}
            self.retries += 1
            if self.retries > int(conf.get("maxRetries", 2)):
                self._close("Failed", [])
                return True
            self.action = {"type": "ConfirmIntent"}
            self.messages = list(conf.get("prompt") or [])
            return True
        self.retries = 0
        self.interpretations = [self._interpretation(1.0)]
        return False

    def _classify(self) -> None:
        ranked = [m for m in rank(self.text, specs(self.snapshot), self.today) if m.score > 0]
        threshold = float(self.snapshot.get("threshold", 0.4))
        self.retries = 0
        if ranked and ranked[0].score >= threshold:
            best = ranked[0]
            self.intent = self._fresh_intent(best.intent, best.slots)
            chosen = [self._interpretation(best.score)]
            others = []
            for m in ranked[1:5]:
                others.append({"intent": self._fresh_intent(m.intent, m.slots), "nluConfidence": {"score": m.score},
                               "interpretationSource": "Lex"})
            self.interpretations = chosen + others + [{"intent": self._fresh_intent(FALLBACK, {}), "interpretationSource": "Lex"}]
        else:
            self.intent = self._fresh_intent(FALLBACK, {})
            self.interpretations = [self._interpretation(None)] + [
                {"intent": self._fresh_intent(m.intent, m.slots), "nluConfidence": {"score": m.score}, "interpretationSource": "Lex"}
                for m in ranked[:4]]

    def _plan(self, m: dict[str, Any]) -> dict[str, Any] | None:
        """Lex's own next step for intent model `m`: a dialogAction, or None (fulfil)."""
        assert self.intent is not None
        slots = self.intent.get("slots") or {}
        for s in m["slots"]:
            if s["required"] and not slots.get(s["name"]):
                return {"type": "ElicitSlot", "slotToElicit": s["name"]}
        conf = m.get("confirmation")
        if conf and self.intent.get("confirmationState", "None") == "None":
            return {"type": "ConfirmIntent"}
        return None

    async def _progress(self) -> None:
        assert self.intent is not None
        m = self.model(self.intent["name"])
        if m.get("dialogHook") and self.hook is not None:
            plan = self._plan(m)
            proposed = {"dialogAction": plan or {"type": "Delegate"}, "intent": dict(self.intent)}
            answer = await self._call("DialogCodeHook", proposed)
            if answer != "Delegate":
                return
        if self.intent.get("confirmationState") == "Denied":
            conf = m.get("confirmation") or {}
            self._close("Failed", list(conf.get("declination") or []))
            return
        plan = self._plan(m)
        if plan is not None:
            self.action = plan
            if plan["type"] == "ElicitSlot":
                slot = self._slot_model(m, plan["slotToElicit"]) or {}
                self.messages = list(slot.get("prompt") or [])
            else:
                self.messages = list((m.get("confirmation") or {}).get("prompt") or [])
            return
        await self._fulfil(m)

    async def _fulfil(self, m: dict[str, Any]) -> None:
        assert self.intent is not None
        self.intent["state"] = "ReadyForFulfillment"
        if m.get("fulfillmentHook") and self.hook is not None:
            answer = await self._call("FulfillmentCodeHook", None)
            if answer == "Delegate":
                self._close("ReadyForFulfillment", list(m.get("closing") or []))
            elif answer == "Close" and not self.messages:
                self.messages = list(m.get("closing") or [])
            return
        self._close("ReadyForFulfillment", list(m.get("closing") or []))

    def _close(self, state: str, messages: list[dict[str, Any]]) -> None:
        assert self.intent is not None
        self.intent["state"] = state
        self.action = {"type": "Close"}
        self.messages = messages

    def _event(self, source: str, proposed: dict[str, Any] | None) -> dict[str, Any]:
        session_state = {**self.state, "intent": dict(self.intent or {}), "originatingRequestId": self.request_id}
        event: dict[str, Any] = {
            "messageVersion": "1.0", "invocationSource": source, "inputMode": "Text",
            "responseContentType": "text/plain; charset=utf-8", "sessionId": self.session_id,
            "inputTranscript": self.text,
            "bot": {"id": self.bot.id, "name": self.bot.name, "aliasId": self.bot.alias_id, "aliasName": self.bot.alias_name,
                    "localeId": self.bot.locale, "version": self.bot.version},
            "interpretations": [{"intent": i["intent"], "interpretationSource": "Lex",
                                 **({"nluConfidence": i["nluConfidence"]["score"]} if "nluConfidence" in i else {})}
                                for i in self.interpretations],
            "requestAttributes": self.attrs, "sessionState": session_state,
            "transcriptions": [{"transcription": self.text, "transcriptionConfidence": 1.0,
                                "resolvedContext": {"intent": (self.intent or {}).get("name")}, "resolvedSlots": {}}],
        }
        if proposed is not None:
            event["proposedNextState"] = proposed
        return event

    async def _call(self, source: str, proposed: dict[str, Any] | None) -> str:
        """Call the code hook and obey it; returns the dialogAction type it chose."""
        assert self.hook is not None
        response = await self.hook(self._event(source, proposed))
        if not isinstance(response, dict) or not isinstance(response.get("sessionState"), dict):
            raise _failed_lambda("the response has no sessionState: " + json.dumps(response)[:200])
        ss = response["sessionState"]
        action = ss.get("dialogAction") or {}
        kind = action.get("type") if isinstance(action, dict) else None
        if kind not in ACTIONS:
            raise _failed_lambda(f"dialogAction.type must be one of {', '.join(ACTIONS)}")
        if isinstance(ss.get("sessionAttributes"), dict):
            self.state["sessionAttributes"] = {str(k): str(v) for k, v in ss["sessionAttributes"].items()}
        if isinstance(ss.get("intent"), dict) and ss["intent"].get("name"):
            given = ss["intent"]
            _check_intent(given)
            base = self.intent if self.intent and self.intent.get("name") == given["name"] else self._fresh_intent(given["name"], {})
            self.intent = {**base, **{k: given[k] for k in ("state", "confirmationState") if k in given}}
            if isinstance(given.get("slots"), dict):
                self.intent["slots"] = {str(k): (_scalar({f: v["value"][f] for f in ("originalValue", "interpretedValue",
                                                                                     "resolvedValues") if f in v["value"]})
                                                 if v else None) for k, v in given["slots"].items()}
            self.intent.setdefault("state", "InProgress")
            self.intent.setdefault("confirmationState", "None")
        messages = response.get("messages")
        if isinstance(messages, list):
            self.messages = [{"contentType": m["contentType"], "content": m["content"]} for m in messages
                             if isinstance(m, dict) and m.get("contentType") in CONTENT_TYPES and isinstance(m.get("content"), str)]
        if kind == "Delegate":
            return "Delegate"
        self.action = {"type": kind}
        if action.get("slotElicitationStyle") in ("Default", "SpellByLetter", "SpellByWord"):
            self.action["slotElicitationStyle"] = action["slotElicitationStyle"]
        if kind == "ElicitSlot":
            if not isinstance(action.get("slotToElicit"), str) or not action["slotToElicit"]:
                raise _failed_lambda("ElicitSlot needs slotToElicit")
            self.action["slotToElicit"] = action["slotToElicit"]
            if not self.messages and self.intent is not None:
                slot = self._slot_model(self.model(self.intent["name"]), str(action["slotToElicit"])) or {}
                self.messages = list(slot.get("prompt") or [])
            if self.intent is not None:
                self.intent["state"] = "InProgress"
        elif kind == "ConfirmIntent":
            if not self.messages and self.intent is not None:
                self.messages = list((self.model(self.intent["name"]).get("confirmation") or {}).get("prompt") or [])
            if self.intent is not None:
                self.intent["state"] = "InProgress"
        elif kind == "ElicitIntent":
            self.intent = None
        elif kind == "Close" and self.intent is not None and self.intent.get("state") == "InProgress":
            self.intent["state"] = "Fulfilled" if source == "FulfillmentCodeHook" else "Failed"
        return str(kind)

    def _result(self) -> dict[str, Any]:
        state: dict[str, Any] = {**self.state, "dialogAction": self.action, "originatingRequestId": self.request_id}
        if self.intent is not None:
            state["intent"] = self.intent
        out: dict[str, Any] = {"sessionState": state, "interpretations": self.interpretations, "sessionId": self.session_id}
        if self.messages:
            out["messages"] = self.messages
        if self.attrs:
            out["requestAttributes"] = self.attrs
        return out
