"""`gureum alexa ask` drives a real skill function in gureum: Alexa's envelopes
(LaunchRequest, IntentRequest with slots from the classifier, SessionEndedRequest), the
alexa-appkit.amazon.com permission required, the skill's speech printed, a session kept
across calls."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
SKILL = '''
import json

def say(text, end=True, attrs=None):
    return {"version": "1.0", "sessionAttributes": attrs or {},
            "response": {"outputSpeech": {"type": "PlainText", "text": text}, "shouldEndSession": end}}

def handler(event, context):
    req = event["request"]
    attrs = event["session"].get("attributes") or {}
    if req["type"] == "LaunchRequest":
        return say("Welcome to the space facts skill.", end=False, attrs={"launched": "yes"})
    if req["type"] == "SessionEndedRequest":
        return {"version": "1.0", "response": {}}
    intent = req["intent"]
    if intent["name"] == "PlanetFactIntent":
        slot = intent["slots"]["Planet"]
        canonical = slot["resolutions"]["resolutionsPerAuthority"][0]["values"][0]["value"]["name"]
        return say("%s is big. You said %s. Launched: %s" % (canonical, slot["value"], attrs.get("launched", "no")))
    if intent["name"] == "CountIntent":
        return say("Counting to %s" % intent["slots"]["Number"]["value"])
    return say("I heard %s" % intent["name"])
'''
MODEL = {"interactionModel": {"languageModel": {
    "invocationName": "space facts",
    "intents": [
        {"name": "PlanetFactIntent", "slots": [{"name": "Planet", "type": "PlanetType"}],
         "samples": ["tell me about {Planet}", "a fact about {Planet}"]},
        {"name": "CountIntent", "slots": [{"name": "Number", "type": "AMAZON.NUMBER"}], "samples": ["count to {Number}"]},
        {"name": "AMAZON.StopIntent", "samples": []},
        {"name": "AMAZON.FallbackIntent", "samples": []}],
    "types": [{"name": "PlanetType", "values": [{"name": {"value": "Jupiter", "synonyms": ["the gas giant"]}},
                                                {"name": {"value": "Mars"}}]}]}}}


@pytest.fixture(scope="module")
def skill(gureum: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", SKILL)
    role = gureum.client("iam").create_role(RoleName=f"alexa-{uuid.uuid4().hex[:6]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = gureum.client("lambda")
    name = f"skill-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()})
    wait_for(f"{name} active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", 60)
    model = tmp_path_factory.mktemp("alexa") / "interaction-model.json"
    model.write_text(json.dumps(MODEL))
    return name, model


def ask(gureum: Any, function: str, model: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gureum", "alexa", "ask", "--function", function, "--model", str(model),
                           "--endpoint", gureum.endpoint, *args], capture_output=True, text=True, timeout=120, cwd=str(ROOT),
                          env=gureum.env)


def test_a_function_without_the_alexa_permission_is_refused(gureum: Any, skill: tuple[str, Path]) -> None:
    name, model = skill
    out = ask(gureum, name, model, "tell me about mars")
    assert out.returncode == 2 and "alexa-appkit.amazon.com" in out.stderr


def test_launch_intent_slots_and_session_through_the_skill(gureum: Any, skill: tuple[str, Path], tmp_path: Path) -> None:
    name, model = skill
    lam = gureum.client("lambda")
    try:
        lam.add_permission(FunctionName=name, StatementId="alexa", Action="lambda:InvokeFunction",
                           Principal="alexa-appkit.amazon.com", EventSourceToken="amzn1.ask.skill.test-skill")
    except lam.exceptions.ResourceConflictException:
        pass
    session = tmp_path / "session.json"
    launch = ask(gureum, name, model, "open space facts", "--session-file", str(session))
    assert launch.returncode == 0, launch.stderr
    assert launch.stdout.strip() == "Welcome to the space facts skill."
    assert session.exists()
    fact = ask(gureum, name, model, "ask space facts to tell me about the gas giant", "--session-file", str(session))
    assert fact.returncode == 0, fact.stderr
    assert fact.stdout.strip() == "Jupiter is big. You said the gas giant. Launched: yes"
    assert not session.exists()  # the skill ended the session
    count = ask(gureum, name, model, "count to forty two")
    assert count.stdout.strip() == "Counting to 42"
    stop = ask(gureum, name, model, "stop")
    assert stop.stdout.strip() == "I heard AMAZON.StopIntent"
    other = ask(gureum, name, model, "what is the price of bread", "--json")
    assert "AMAZON.FallbackIntent" in json.loads(other.stdout)["response"]["outputSpeech"]["text"]
    end = ask(gureum, name, model, "--end")
    assert end.returncode == 0
    wrong = ask(gureum, name, model, "tell me about mars", "--skill-id", "amzn1.ask.skill.other")
    assert wrong.returncode == 2
