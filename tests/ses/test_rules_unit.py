"""SES's pure parts on values: Handlebars-style rendering, the domain verification decision,
receipt rule recipient matching, message ids."""

from __future__ import annotations

import re

import pytest

from gureum.services.ses import identities, messages, receipt, templates


def test_render_substitutes_nested_values_blocks_and_escapes_html() -> None:
    data = {"user": {"name": "A&B"}, "vip": False, "items": [{"n": 1}, {"n": 2}]}
    assert templates.render("Hi {{user.name}}", data) == "Hi A&B"
    assert templates.render("<b>{{user.name}}</b>", data, html_part=True) == "<b>A&amp;B</b>"
    assert templates.render("{{{user.name}}}", data, html_part=True) == "A&B"
    assert templates.render("{{#if vip}}gold{{else}}plain{{/if}}", data) == "plain"
    assert templates.render("{{#unless vip}}not vip{{/unless}}", data) == "not vip"
    assert templates.render("{{#each items}}[{{n}}]{{/each}}", data) == "[1][2]"


def test_render_names_the_missing_attribute_and_refuses_unclosed_blocks() -> None:
    with pytest.raises(templates.MissingAttribute) as missing:
        templates.render("Hello {{name}}", {})
    assert missing.value.name == "name"
    assert templates.render("Hello {{name}}", {}, strict=False) == "Hello "
    with pytest.raises(templates.BadTemplate):
        templates.parse("{{#if x}}open")


def test_domain_is_verified_by_its_token_or_all_its_dkim_cnames() -> None:
    doc = {"Identity": "example.com", "Status": "Pending", "Token": "tok", "DkimTokens": ["a", "b", "c"],
           "DkimStatus": "Pending", "Requested": 0.0}
    assert identities.decide(doc, ["tok"], {}, 10.0) == {"Status": "Success"}
    cnames = {f"{t}._domainkey.example.com": f"{t}.dkim.amazonses.com." for t in "abc"}
    assert identities.decide(doc, [], cnames, 10.0) == {"Status": "Success", "DkimStatus": "Success"}
    partial = dict(list(cnames.items())[:2])
    assert identities.decide(doc, ["other"], partial, 10.0) == {}
    assert identities.decide(doc, [], {}, identities.DOMAIN_EXPIRY + 1) == {"Status": "Failed", "DkimStatus": "Failed"}


def test_recipient_conditions_match_as_aws_documents() -> None:
    rule = {"Enabled": True, "Recipients": ["info@example.com", "example.org", ".example.net"]}
    assert receipt.matches(rule, "INFO@example.com")
    assert not receipt.matches(rule, "sales@example.com")
    assert receipt.matches(rule, "anyone@example.org")
    assert not receipt.matches(rule, "anyone@sub.example.org")
    assert receipt.matches(rule, "x@mail.example.net") and not receipt.matches(rule, "x@example.net")
    assert receipt.matches({"Enabled": True, "Recipients": []}, "who@ever.com")
    assert not receipt.matches({"Enabled": False, "Recipients": []}, "who@ever.com")


def test_message_ids_have_aws_shape() -> None:
    mid = messages.new_id(1_700_000_000.123)
    assert re.fullmatch(r"0100[0-9a-f]{12}-[0-9a-f-]{36}-000000", mid)
    assert int(mid[4:16], 16) == 1_700_000_000_123
