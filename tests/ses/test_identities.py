"""SES identities through boto3: email addresses verified by the link gureum mails and logs,
domains verified by their TXT token (v1) or DKIM CNAMEs (v2) in a gureum hosted zone, found
by the sweep through gureum's DNS; both API versions see the same identities; they survive a
restart."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid

import pytest
from waiting import wait_for

from ses.ses_helpers import SesGureum


def _link(ses: SesGureum, address: str) -> str:
    mails = [m for m in ses.sent(address) if m["source"] == "no-reply-aws@amazon.com"]
    assert mails, f"no verification mail for {address}"
    found = re.search(r"http://\S+/_gureum/ses/verify\?\S+", mails[-1]["body"]["text"])
    assert found is not None
    return found.group(0)


def verify_address(ses: SesGureum, address: str) -> None:
    ses.client("ses").verify_email_identity(EmailAddress=address)
    with urllib.request.urlopen(_link(ses, address), timeout=10) as resp:
        assert resp.status == 200


def test_email_identity_is_pending_until_its_link_is_opened(ses: SesGureum) -> None:
    client = ses.client("ses")
    address = f"me-{uuid.uuid4().hex[:6]}@example.org"
    client.verify_email_identity(EmailAddress=address)
    attrs = client.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert attrs[address]["VerificationStatus"] == "Pending"
    link = _link(ses, address)
    assert "Email Address Verification Request" in ses.sent(address)[-1]["subject"]
    # the mail also reached the relay
    wait_for("the verification mail relayed", lambda: any(address in rcpts for _, rcpts, _ in ses.inbox.mails), 10)
    # a link with the wrong code confirms nothing
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(re.sub(r"code=[^&]+", "code=nope", link), timeout=10)
    assert bad.value.code == 400
    with urllib.request.urlopen(link, timeout=10) as resp:
        assert b"successfully verified" in resp.read()
    attrs = client.get_identity_verification_attributes(Identities=[address])["VerificationAttributes"]
    assert attrs[address]["VerificationStatus"] == "Success"
    assert address in client.list_identities(IdentityType="EmailAddress")["Identities"]
    assert address in client.list_verified_email_addresses()["VerifiedEmailAddresses"]
    v2 = ses.client("sesv2").get_email_identity(EmailIdentity=address)
    assert v2["IdentityType"] == "EMAIL_ADDRESS" and v2["VerifiedForSendingStatus"] is True
    assert v2["VerificationStatus"] == "SUCCESS"


def test_domain_is_verified_by_its_txt_token_in_a_gureum_zone(ses: SesGureum) -> None:
    client = ses.client("ses")
    domain = f"d{uuid.uuid4().hex[:8]}.example.com"
    token = client.verify_domain_identity(Domain=domain)["VerificationToken"]
    assert client.verify_domain_identity(Domain=domain)["VerificationToken"] == token  # asked again: the same token
    attrs = client.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"][domain]
    assert attrs == {"VerificationStatus": "Pending", "VerificationToken": token}
    r53 = ses.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_amazonses.{domain}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{token}"'}]}}]})

    def verified() -> bool:
        a = client.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"][domain]
        return bool(a["VerificationStatus"] == "Success")

    wait_for(f"{domain} verified by its TXT record", verified, 20)
    # any address of a verified domain may send (out of the sandbox's recipient rule: to a verified address)
    rcpt = f"to-{uuid.uuid4().hex[:6]}@example.org"
    verify_address(ses, rcpt)
    mid = client.send_email(Source=f"Sender <hello@{domain}>", Destination={"ToAddresses": [rcpt]},
                            Message={"Subject": {"Data": "hi"}, "Body": {"Text": {"Data": "from the domain"}}})["MessageId"]
    assert any(m["id"] == mid for m in ses.sent(rcpt))


def test_wrong_txt_value_leaves_the_domain_pending(ses: SesGureum) -> None:
    client = ses.client("ses")
    domain = f"w{uuid.uuid4().hex[:8]}.example.com"
    client.verify_domain_identity(Domain=domain)
    r53 = ses.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_amazonses.{domain}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"not-the-token"'}]}}]})
    # a second domain, correctly published after the first, is verified: by then the sweep has seen both
    other = f"o{uuid.uuid4().hex[:8]}.example.com"
    token = client.verify_domain_identity(Domain=other)["VerificationToken"]
    zone2 = r53.create_hosted_zone(Name=other, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone2, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_amazonses.{other}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{token}"'}]}}]})
    wait_for("the second domain verified", lambda: client.get_identity_verification_attributes(
        Identities=[other])["VerificationAttributes"][other]["VerificationStatus"] == "Success", 20)
    status = client.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"][domain]
    assert status["VerificationStatus"] == "Pending"


def test_v2_domain_identity_is_verified_by_its_dkim_cnames(ses: SesGureum) -> None:
    v2 = ses.client("sesv2")
    domain = f"k{uuid.uuid4().hex[:8]}.example.net"
    created = v2.create_email_identity(EmailIdentity=domain, Tags=[{"Key": "team", "Value": "mail"}])
    assert created["IdentityType"] == "DOMAIN" and created["VerifiedForSendingStatus"] is False
    tokens = created["DkimAttributes"]["Tokens"]
    assert len(tokens) == 3 and created["DkimAttributes"]["Status"] == "PENDING"
    with pytest.raises(v2.exceptions.AlreadyExistsException):
        v2.create_email_identity(EmailIdentity=domain)
    r53 = ses.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"{t}._domainkey.{domain}", "Type": "CNAME", "TTL": 60,
                                                    "ResourceRecords": [{"Value": f"{t}.dkim.amazonses.com"}]}}
        for t in tokens]})
    wait_for(f"{domain} verified by DKIM", lambda: v2.get_email_identity(EmailIdentity=domain)["VerificationStatus"] == "SUCCESS", 20)
    got = v2.get_email_identity(EmailIdentity=domain)
    assert got["DkimAttributes"]["Status"] == "SUCCESS" and got["VerifiedForSendingStatus"] is True
    assert got["Tags"] == [{"Key": "team", "Value": "mail"}]
    v1 = ses.client("ses").get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"][domain]
    assert v1["DkimVerificationStatus"] == "Success" and v1["DkimTokens"] == tokens
    names = [i["IdentityName"] for i in v2.list_email_identities()["EmailIdentities"]]
    assert domain in names
    v2.delete_email_identity(EmailIdentity=domain)
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.get_email_identity(EmailIdentity=domain)


def test_bad_identities_get_aws_errors(ses: SesGureum) -> None:
    client = ses.client("ses")
    with pytest.raises(client.exceptions.ClientError) as bad:
        client.verify_email_identity(EmailAddress="not-an-address")
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValue"
    v2 = ses.client("sesv2")
    with pytest.raises(v2.exceptions.BadRequestException):
        v2.create_email_identity(EmailIdentity="bad domain")
    with pytest.raises(v2.exceptions.NotFoundException):
        v2.delete_email_identity(EmailIdentity="nobody@nowhere.example")


def test_custom_mail_from_is_verified_by_its_mx_and_rejects_until_then(ses: SesGureum) -> None:
    client, v2 = ses.client("ses"), ses.client("sesv2")
    domain = f"m{uuid.uuid4().hex[:8]}.example.com"
    token = client.verify_domain_identity(Domain=domain)["VerificationToken"]
    r53 = ses.client("route53")
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"_amazonses.{domain}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{token}"'}]}}]})
    wait_for("the domain verified", lambda: client.get_identity_verification_attributes(
        Identities=[domain])["VerificationAttributes"][domain]["VerificationStatus"] == "Success", 20)
    with pytest.raises(client.exceptions.ClientError) as bad:
        client.set_identity_mail_from_domain(Identity=domain, MailFromDomain="bounce.elsewhere.org")
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValue"
    client.set_identity_mail_from_domain(Identity=domain, MailFromDomain=f"bounce.{domain}", BehaviorOnMXFailure="RejectMessage")
    attrs = client.get_identity_mail_from_domain_attributes(Identities=[domain])["MailFromDomainAttributes"][domain]
    assert attrs == {"MailFromDomain": f"bounce.{domain}", "MailFromDomainStatus": "Pending", "BehaviorOnMXFailure": "RejectMessage"}
    rcpt = f"mf-{uuid.uuid4().hex[:6]}@example.org"
    verify_address(ses, rcpt)
    message = {"Subject": {"Data": "mf"}, "Body": {"Text": {"Data": "b"}}}
    with pytest.raises(client.exceptions.MailFromDomainNotVerifiedException):
        client.send_email(Source=f"news@{domain}", Destination={"ToAddresses": [rcpt]}, Message=message)
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"bounce.{domain}", "Type": "MX", "TTL": 60,
        "ResourceRecords": [{"Value": "10 feedback-smtp.us-east-1.amazonses.com"}]}}]})
    wait_for("the MAIL FROM domain verified", lambda: client.get_identity_mail_from_domain_attributes(
        Identities=[domain])["MailFromDomainAttributes"][domain]["MailFromDomainStatus"] == "Success", 20)
    client.send_email(Source=f"news@{domain}", Destination={"ToAddresses": [rcpt]}, Message=message)
    got = v2.get_email_identity(EmailIdentity=domain)["MailFromAttributes"]
    assert got == {"MailFromDomain": f"bounce.{domain}", "MailFromDomainStatus": "SUCCESS", "BehaviorOnMxFailure": "REJECT_MESSAGE"}
    v2.put_email_identity_mail_from_attributes(EmailIdentity=domain)
    assert "MailFromAttributes" not in v2.get_email_identity(EmailIdentity=domain)
