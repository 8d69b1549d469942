"""SES's answers (v1 query XML, v2 rest-json) are in their output shapes: the raw responses
walked against botocore's model (tests/aws/shape_check.py)."""

from __future__ import annotations

import json
import uuid

from ses.ses_helpers import SesGureum
from ses.test_identities import verify_address
from tests.aws.shape_check import ShapeRecorder


def test_v1_and_v2_responses_match_the_model(ses: SesGureum) -> None:
    v1, v2 = ses.client("ses"), ses.client("sesv2")
    r1, r2 = ShapeRecorder(v1), ShapeRecorder(v2)
    sender, rcpt = f"s-{uuid.uuid4().hex[:6]}@example.org", f"r-{uuid.uuid4().hex[:6]}@example.org"
    verify_address(ses, sender)
    verify_address(ses, rcpt)
    domain = f"shape{uuid.uuid4().hex[:6]}.example.com"
    v1.verify_domain_identity(Domain=domain)
    v1.verify_domain_dkim(Domain=domain)
    v1.list_identities()
    v1.list_verified_email_addresses()
    v1.get_identity_verification_attributes(Identities=[sender, domain])
    v1.get_identity_dkim_attributes(Identities=[domain])
    v1.get_send_quota()
    v1.get_account_sending_enabled()
    v1.send_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}})
    v1.send_raw_email(RawMessage={"Data": f"From: {sender}\r\nTo: {rcpt}\r\nSubject: r\r\n\r\nb".encode()})
    v1.create_template(Template={"TemplateName": "shape", "SubjectPart": "Hi {{n}}", "TextPart": "t"})
    v1.get_template(TemplateName="shape")
    v1.list_templates()
    v1.test_render_template(TemplateName="shape", TemplateData=json.dumps({"n": 1}))
    v1.send_templated_email(Source=sender, Destination={"ToAddresses": [rcpt]}, Template="shape", TemplateData="{}")
    v1.send_bulk_templated_email(Source=sender, Template="shape", DefaultTemplateData="{}",
                                 Destinations=[{"Destination": {"ToAddresses": [rcpt]}}])
    v1.create_configuration_set(ConfigurationSet={"Name": "shape-cs"})
    v1.describe_configuration_set(ConfigurationSetName="shape-cs", ConfigurationSetAttributeNames=["reputationOptions"])
    v1.list_configuration_sets()
    v1.create_configuration_set_event_destination(ConfigurationSetName="shape-cs", EventDestination={
        "Name": "cw", "Enabled": True, "MatchingEventTypes": ["send"], "CloudWatchDestination": {"DimensionConfigurations": [
            {"DimensionName": "d", "DimensionValueSource": "messageTag", "DefaultDimensionValue": "x"}]}})
    v1.describe_configuration_set(ConfigurationSetName="shape-cs", ConfigurationSetAttributeNames=["eventDestinations"])
    v1.delete_configuration_set_event_destination(ConfigurationSetName="shape-cs", EventDestinationName="cw")
    v1.create_receipt_rule_set(RuleSetName="shape-set")
    v1.create_receipt_rule(RuleSetName="shape-set", Rule={"Name": "r1", "Enabled": True, "Recipients": [domain],
                                                          "Actions": [{"StopAction": {"Scope": "RuleSet"}}]})
    v1.describe_receipt_rule(RuleSetName="shape-set", RuleName="r1")
    v1.describe_receipt_rule_set(RuleSetName="shape-set")
    v1.list_receipt_rule_sets()
    v1.set_active_receipt_rule_set(RuleSetName="shape-set")
    v1.describe_active_receipt_rule_set()
    v1.set_active_receipt_rule_set()
    v1.delete_receipt_rule(RuleSetName="shape-set", RuleName="r1")
    v1.delete_receipt_rule_set(RuleSetName="shape-set")
    v2.create_email_identity(EmailIdentity=f"v2{uuid.uuid4().hex[:6]}.example.net")
    v2.get_email_identity(EmailIdentity=sender)
    v2.list_email_identities()
    v2.get_account()
    v2.send_email(FromEmailAddress=sender, Destination={"ToAddresses": [rcpt]},
                  Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}}})
    v2.create_email_template(TemplateName="shape2", TemplateContent={"Subject": "x", "Text": "y"})
    v2.get_email_template(TemplateName="shape2")
    v2.list_email_templates()
    v2.test_render_email_template(TemplateName="shape2", TemplateData="{}")
    v2.create_configuration_set(ConfigurationSetName="shape-cs2", Tags=[{"Key": "k", "Value": "v"}])
    v2.get_configuration_set(ConfigurationSetName="shape-cs2")
    v2.list_configuration_sets()
    v2.create_configuration_set_event_destination(ConfigurationSetName="shape-cs2", EventDestinationName="cw", EventDestination={
        "Enabled": True, "MatchingEventTypes": ["SEND"], "CloudWatchDestination": {"DimensionConfigurations": [
            {"DimensionName": "d", "DimensionValueSource": "MESSAGE_TAG", "DefaultDimensionValue": "x"}]}})
    v2.get_configuration_set_event_destinations(ConfigurationSetName="shape-cs2")
    v2.create_contact_list(ContactListName="shape-list", Description="d", Topics=[
        {"TopicName": "t", "DisplayName": "T", "DefaultSubscriptionStatus": "OPT_IN"}])
    v2.get_contact_list(ContactListName="shape-list")
    v2.list_contact_lists()
    v2.create_contact(ContactListName="shape-list", EmailAddress=rcpt, AttributesData="{}")
    v2.get_contact(ContactListName="shape-list", EmailAddress=rcpt)
    v2.list_contacts(ContactListName="shape-list")
    v2.delete_contact_list(ContactListName="shape-list")
    v2.delete_configuration_set(ConfigurationSetName="shape-cs2")
    v2.delete_email_template(TemplateName="shape2")
    assert not r1.findings, r1.report()
    assert not r2.findings, r2.report()
    assert len(r1.operations) >= 25 and len(r2.operations) >= 10
