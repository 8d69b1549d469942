"""The Lex V2 CloudFormation types through boto3 against a real gureum, in one stack: a bot with
a locale (a slot type, an intent with a slot and slot priorities, the fallback intent) built by
AutoBuildBotLocales, a version of it, an alias on that version and a resource policy on the
alias; the bot answered through the alias by lexv2-runtime; outputs read (Ref, Fn::GetAtt); an
update that changes the locale (made again and rebuilt under the same bot), the bot's and the
alias's tags, the alias's description and the policy's document (a new revision) in place, and
the version's description (a new version: replaced, the alias following it); deletion removes
everything. A locale that cannot build fails the bot; a bot's locales changed in place (one
dropped, the other made again). Lex's own tag and policy operations:
tests/lexv2/test_tags_and_policies.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .helpers import error_of, failures, outputs, parameters, settle, uniq

TEMPLATE = """
Parameters:
  Utterance: {Type: String, Default: "I want a pizza"}
  Team: {Type: String, Default: red}
  AliasDescription: {Type: String, Default: first}
  VersionDescription: {Type: String, Default: one}
  Ttl: {Type: Number, Default: 300}
  Denied: {Type: String, Default: "lex:GetSession"}
Resources:
  Bot:
    Type: AWS::Lex::Bot
    Properties:
      Name: !Sub "${AWS::StackName}-bot"
      RoleArn: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/lex"
      DataPrivacy: {ChildDirected: false}
      IdleSessionTTLInSeconds: !Ref Ttl
      BotTags: [{Key: team, Value: !Ref Team}]
      AutoBuildBotLocales: true
      BotLocales:
        - LocaleId: en_US
          NluConfidenceThreshold: 0.4
          SlotTypes:
            - Name: Size
              ValueSelectionSetting: {ResolutionStrategy: TopResolution}
              SlotTypeValues:
                - SampleValue: {Value: small}
                - SampleValue: {Value: large}
                  Synonyms: [{Value: big}]
          Intents:
            - Name: OrderPizza
              SampleUtterances: [{Utterance: !Ref Utterance}, {Utterance: "a {Size} pizza please"}]
              Slots:
                - Name: Size
                  SlotTypeName: Size
                  ValueElicitationSetting:
                    SlotConstraint: Required
                    PromptSpecification:
                      MaxRetries: 2
                      MessageGroupsList: [{Message: {PlainTextMessage: {Value: "Which size?"}}}]
              SlotPriorities: [{Priority: 1, SlotName: Size}]
              IntentClosingSetting:
                ClosingResponse:
                  MessageGroupsList: [{Message: {PlainTextMessage: {Value: "Your pizza is on its way."}}}]
            - Name: FallbackIntent
              ParentIntentSignature: AMAZON.FallbackIntent
              IntentClosingSetting:
                IsActive: true
                ClosingResponse:
                  MessageGroupsList: [{Message: {PlainTextMessage: {Value: "Sorry?"}}}]
  Version:
    Type: AWS::Lex::BotVersion
    Properties:
      BotId: !Ref Bot
      Description: !Ref VersionDescription
      BotVersionLocaleSpecification:
        - {LocaleId: en_US, BotVersionLocaleDetails: {SourceBotVersion: DRAFT}}
  Alias:
    Type: AWS::Lex::BotAlias
    Properties:
      BotId: !Ref Bot
      BotAliasName: live
      BotVersion: !GetAtt Version.BotVersion
      Description: !Ref AliasDescription
      SentimentAnalysisSettings: {DetectSentiment: false}
      BotAliasTags: [{Key: team, Value: !Ref Team}]
  Policy:
    Type: AWS::Lex::ResourcePolicy
    Properties:
      ResourceArn: !GetAtt Alias.Arn
      Policy:
        Version: "2012-10-17"
        Statement: [{Effect: Deny, Principal: "*", Action: !Ref Denied, Resource: !GetAtt Alias.Arn}]
Outputs:
  PolicyRef: {Value: !Ref Policy}
  PolicyRevision: {Value: !GetAtt Policy.RevisionId}
  BotRef: {Value: !Ref Bot}
  BotId: {Value: !GetAtt Bot.Id}
  BotArn: {Value: !GetAtt Bot.Arn}
  VersionRef: {Value: !Ref Version}
  Version: {Value: !GetAtt Version.BotVersion}
  AliasRef: {Value: !Ref Alias}
  AliasId: {Value: !GetAtt Alias.BotAliasId}
  AliasArn: {Value: !GetAtt Alias.Arn}
  AliasStatus: {Value: !GetAtt Alias.BotAliasStatus}
"""


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def _say(gureum: Any, bot: str, alias: str, text: str) -> dict[str, Any]:
    runtime = gureum.client("lexv2-runtime")
    return dict(runtime.recognize_text(botId=bot, botAliasId=alias, localeId="en_US", sessionId=uuid.uuid4().hex, text=text))


def _system(stack: dict[str, Any], logical: str) -> dict[str, str]:
    return {"aws:cloudformation:stack-name": stack["StackName"], "aws:cloudformation:stack-id": stack["StackId"],
            "aws:cloudformation:logical-id": logical}


def test_bot_version_and_alias(cfn: Any, gureum: Any) -> None:
    models = gureum.client("lexv2-models")
    account = gureum.client("sts").get_caller_identity()["Account"]
    name = uniq("lex")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE)
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    bot, alias = out["BotId"], out["AliasId"]
    assert out["BotRef"] == bot and len(bot) == 10
    assert out["BotArn"] == f"arn:aws:lex:us-east-1:{account}:bot/{bot}"
    assert out["Version"] == "1" and out["VersionRef"] == f"{bot}|1"
    assert out["AliasRef"] == f"{alias}|{bot}" and out["AliasStatus"] == "Available"
    assert out["AliasArn"] == f"arn:aws:lex:us-east-1:{account}:bot-alias/{bot}/{alias}"

    # the bot, its locale (built) and what it holds, through Lex's own API
    described = models.describe_bot(botId=bot)
    assert described["botName"] == f"{name}-bot" and described["idleSessionTTLInSeconds"] == 300
    locale = models.describe_bot_locale(botId=bot, botVersion="DRAFT", localeId="en_US")
    assert locale["botLocaleStatus"] == "Built" and locale["slotTypesCount"] == 1 and locale["intentsCount"] == 2
    intents = {i["intentName"]: i["intentId"] for i in
               models.list_intents(botId=bot, botVersion="DRAFT", localeId="en_US")["intentSummaries"]}
    assert set(intents) == {"OrderPizza", "FallbackIntent"}
    order = models.describe_intent(botId=bot, botVersion="DRAFT", localeId="en_US", intentId=intents["OrderPizza"])
    slots = models.list_slots(botId=bot, botVersion="DRAFT", localeId="en_US", intentId=intents["OrderPizza"])["slotSummaries"]
    assert [s["slotName"] for s in slots] == ["Size"]
    assert order["slotPriorities"] == [{"priority": 1, "slotId": slots[0]["slotId"]}]
    assert models.describe_bot_version(botId=bot, botVersion="1")["description"] == "one"
    described_alias = models.describe_bot_alias(botId=bot, botAliasId=alias)
    assert described_alias["botVersion"] == "1" and described_alias["description"] == "first"
    assert models.list_tags_for_resource(resourceARN=out["BotArn"])["tags"] == {"team": "red", **_system(stack, "Bot")}
    assert models.list_tags_for_resource(resourceARN=out["AliasArn"])["tags"] == {"team": "red", **_system(stack, "Alias")}

    # the alias's resource policy
    assert out["PolicyRef"] == out["AliasArn"] and out["PolicyRevision"] == "1"
    policy = models.describe_resource_policy(resourceArn=out["AliasArn"])
    assert policy["revisionId"] == "1" and '"lex:GetSession"' in policy["policy"]

    # the bot answers through the alias on version 1
    said = _say(gureum, bot, alias, "a big pizza please")
    assert said["sessionState"]["intent"]["name"] == "OrderPizza"
    assert said["sessionState"]["intent"]["slots"]["Size"]["value"]["interpretedValue"] == "large"
    assert [m["content"] for m in said["messages"]] == ["Your pizza is on its way."]

    # update: a new utterance remakes and rebuilds the locale, tags and the alias change in
    # place, a new version description replaces the version (the alias follows it)
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=parameters(
        {"Utterance": "pizza time", "Team": "blue", "AliasDescription": "second", "VersionDescription": "two",
         "Denied": "lex:PutSession"}))
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    out = outputs(stack)
    assert out["BotId"] == bot and out["AliasId"] == alias
    assert out["Version"] == "2" and out["VersionRef"] == f"{bot}|2"
    assert [v["botVersion"] for v in models.list_bot_versions(botId=bot)["botVersionSummaries"]] == ["2"]
    described_alias = models.describe_bot_alias(botId=bot, botAliasId=alias)
    assert described_alias["botVersion"] == "2" and described_alias["description"] == "second"
    assert models.list_tags_for_resource(resourceARN=out["BotArn"])["tags"]["team"] == "blue"
    assert models.list_tags_for_resource(resourceARN=out["AliasArn"])["tags"]["team"] == "blue"
    assert out["PolicyRevision"] == "2" and out["PolicyRef"] == out["AliasArn"]
    policy = models.describe_resource_policy(resourceArn=out["AliasArn"])
    assert policy["revisionId"] == "2" and '"lex:PutSession"' in policy["policy"]
    said = _say(gureum, bot, alias, "pizza time")
    assert said["sessionState"]["intent"]["name"] == "OrderPizza"
    assert said["sessionState"]["dialogAction"] == {"type": "ElicitSlot", "slotToElicit": "Size"}

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
    code, _ = error_of(lambda: models.describe_bot(botId=bot))
    assert code == "ResourceNotFoundException"


BROKEN = """
Resources:
  Bot:
    Type: AWS::Lex::Bot
    Properties:
      Name: !Sub "${AWS::StackName}-broken"
      RoleArn: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/lex"
      DataPrivacy: {ChildDirected: false}
      IdleSessionTTLInSeconds: 300
      AutoBuildBotLocales: true
      BotLocales:
        - LocaleId: en_US
          NluConfidenceThreshold: 0.4
          Intents:
            - Name: Greet
              SampleUtterances: [{Utterance: "hello {Who}"}]
"""


def test_a_locale_that_cannot_build_fails_the_bot(cfn: Any, gureum: Any) -> None:
    models = gureum.client("lexv2-models")
    name = uniq("lexbad")
    cfn.create_stack(StackName=name, TemplateBody=BROKEN)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [r for logical, status, r in failures(cfn, name) if logical == "Bot" and status == "CREATE_FAILED"]
    assert reasons and "Bot locale en_US failed to build" in reasons[0] and "Who" in reasons[0]
    assert all(b["botName"] != f"{name}-broken" for b in models.list_bots(maxResults=1000)["botSummaries"])


LOCALES = """
Resources:
  Bot:
    Type: AWS::Lex::Bot
    Properties:
      Name: !Sub "${AWS::StackName}-two"
      RoleArn: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/lex"
      DataPrivacy: {ChildDirected: false}
      IdleSessionTTLInSeconds: 300
      BotLocales:
        - LocaleId: en_US
          NluConfidenceThreshold: 0.4
          Intents: [{Name: Greet, SampleUtterances: [{Utterance: hello}]}]
        - LocaleId: en_GB
          NluConfidenceThreshold: 0.4
          Intents: [{Name: Greet, SampleUtterances: [{Utterance: hello}]}]
Outputs:
  Bot: {Value: !Ref Bot}
"""


def test_locales_removed_and_remade_in_place(cfn: Any, gureum: Any) -> None:
    models = gureum.client("lexv2-models")
    name = uniq("lexloc")
    cfn.create_stack(StackName=name, TemplateBody=LOCALES)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    bot = outputs(stack)["Bot"]
    locales = models.list_bot_locales(botId=bot, botVersion="DRAFT")["botLocaleSummaries"]
    assert sorted((x["localeId"], x["botLocaleStatus"]) for x in locales) == [("en_GB", "NotBuilt"), ("en_US", "NotBuilt")]

    # en_GB dropped, en_US given another intent: the same bot, its DRAFT remade
    changed = LOCALES.split("        - LocaleId: en_GB")[0].replace("Name: Greet", "Name: Welcome") + \
        "Outputs:\n  Bot: {Value: !Ref Bot}\n"
    cfn.update_stack(StackName=name, TemplateBody=changed)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    assert outputs(stack)["Bot"] == bot
    locales = models.list_bot_locales(botId=bot, botVersion="DRAFT")["botLocaleSummaries"]
    assert [x["localeId"] for x in locales] == ["en_US"]
    intents = models.list_intents(botId=bot, botVersion="DRAFT", localeId="en_US")["intentSummaries"]
    assert sorted(i["intentName"] for i in intents) == ["FallbackIntent", "Welcome"]

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack["StackId"])
