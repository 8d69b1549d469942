"""Private hosted zones answered only to their VPCs' source CIDRs; zone files in and out."""

from __future__ import annotations

import uuid

import dns.message
import dns.query
import dns.rcode
from waiting import wait_for

from gureum.services.route53 import zonefile


def ask(port: int, name: str, source: str) -> dns.message.Message:
    return dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=3, source=source)


def values(r: dns.message.Message) -> list[str]:
    return sorted(rr.to_text() for rrset in r.answer for rr in rrset)


def test_private_zone_is_answered_only_in_its_vpcs_view(gureum_with_views):
    g = gureum_with_views
    r53 = g.client("route53")
    vpc_a = {"VPCRegion": "us-east-1", "VPCId": "vpc-a"}
    private = r53.create_hosted_zone(Name="corp.test", CallerReference=uuid.uuid4().hex, VPC=vpc_a)["HostedZone"]["Id"]
    public = r53.create_hosted_zone(Name="corp.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    for zid, value, name in ((private, "10.0.0.1", "www.corp.test"), (public, "192.0.2.1", "www.corp.test"), (public, "192.0.2.2", "pub.corp.test")):
        r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})
    assert values(ask(g.dns_port, "www.corp.test", "127.0.0.2")) == ["10.0.0.1"]
    assert ask(g.dns_port, "pub.corp.test", "127.0.0.2").rcode() == dns.rcode.NXDOMAIN  # no fall-through to public
    assert values(ask(g.dns_port, "www.corp.test", "127.0.0.1")) == ["192.0.2.1"]
    assert values(ask(g.dns_port, "www.corp.test", "127.0.0.3")) == ["192.0.2.1"]
    r53.associate_vpc_with_hosted_zone(HostedZoneId=private, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-b"})
    assert values(ask(g.dns_port, "www.corp.test", "127.0.0.3")) == ["10.0.0.1"]
    r53.disassociate_vpc_from_hosted_zone(HostedZoneId=private, VPC=vpc_a)
    assert values(ask(g.dns_port, "www.corp.test", "127.0.0.2")) == ["192.0.2.1"]


ZONE_FILE = """$TTL 3600
@       IN SOA ns1.example.net. hostmaster.example.net. 7 7200 900 1209600 300
@       IN NS  ns1.example.net.
@       IN MX  10 mail
www     IN A   192.0.2.10
www     IN A   192.0.2.11
mail 60 IN A   192.0.2.25
txt     IN TXT "hello world" "again"
*.w     IN A   192.0.2.99
alias   IN CNAME www
"""


def test_zone_file_import_then_export(gureum, tmp_path, capsys):
    gureum.wait_service("route53", "running")
    path = tmp_path / "import.test.zone"
    path.write_text(ZONE_FILE)
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", "import.test", str(path)]) == 0
    assert "imported 6 record sets" in capsys.readouterr().out
    r = dns.query.udp(dns.message.make_query("www.import.test", "A"), "127.0.0.1", port=gureum.dns_port, timeout=3)
    assert values(r) == ["192.0.2.10", "192.0.2.11"]
    assert values(dns.query.udp(dns.message.make_query("x.w.import.test", "A"), "127.0.0.1", port=gureum.dns_port, timeout=3)) == ["192.0.2.99"]
    assert zonefile.main(["--endpoint", gureum.endpoint, "export", "import.test"]) == 0
    exported = capsys.readouterr().out
    assert "www.import.test.\t3600\tIN\tA\t192.0.2.10" in exported
    assert "awsdns-hostmaster.amazon.com." in exported  # the zone keeps Route 53's SOA
    assert "*.w.import.test.\t3600\tIN\tA\t192.0.2.99" in exported
    sets = zonefile.parse_text(exported, "import.test")
    assert {(s["Name"], s["Type"]) for s in sets} == {
        ("import.test.", "MX"), ("www.import.test.", "A"), ("mail.import.test.", "A"),
        ("txt.import.test.", "TXT"), ("\\052.w.import.test.", "A"), ("alias.import.test.", "CNAME")}  # Route 53 spelling
    # importing again is idempotent (UPSERT), a bad file changes nothing
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", "import.test", str(path)]) == 0
    path.write_text("www IN A 1.2.3\n")
    assert zonefile.main(["--endpoint", gureum.endpoint, "import", "import.test", str(path)]) == 1


def test_gureum_dns_command_imports_and_exports(gureum, tmp_path):
    import subprocess
    import sys

    from harness import ROOT

    gureum.wait_service("route53", "running")
    path = tmp_path / "cmd.test.zone"
    path.write_text("www 300 IN A 192.0.2.77\n")
    env = dict(gureum.env, PYTHONPATH=str(ROOT))
    run = lambda *args: subprocess.run([sys.executable, "-m", "gureum", "dns", *args], env=env, capture_output=True, text=True, timeout=60)
    out = run("import", "cmd.test", str(path))
    assert out.returncode == 0, out.stderr
    out = run("export", "cmd.test")
    assert out.returncode == 0 and "www.cmd.test.\t300\tIN\tA\t192.0.2.77" in out.stdout
    assert run("export", "no-such-zone.test").returncode == 1


def test_with_no_views_configured_the_host_sees_private_zones(gureum):
    """gureum has no VPCs yet: with `dns.private_views` unset, clients on the host (loopback)
    are in every VPC and see private zones; other sources would not."""
    gureum.wait_service("route53", "running")
    r53 = gureum.client("route53")
    name = f"p{uuid.uuid4().hex[:8]}.internal"
    zid = r53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0abc"})["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zid, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": f"db.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.9.8.7"}]}}]})
    wait_for("the private record answered to the host", lambda: values(ask(gureum.dns_port, f"db.{name}", "127.0.0.1")), timeout=30, interval=0.05)
    assert values(ask(gureum.dns_port, f"db.{name}", "127.0.0.1")) == ["10.9.8.7"]
    assert values(ask(gureum.dns_port, f"db.{name}", "127.0.0.9")) == ["10.9.8.7"]  # all of 127/8 is the host


def test_private_views_setting_default_none_and_explicit():
    from gureum.services.route53.engine import PrivateViews

    host = PrivateViews.from_setting(None)
    assert host.vpcs_for("127.0.0.1") == frozenset({"*"}) and host.vpcs_for("::1") == frozenset({"*"})
    assert host.vpcs_for("192.0.2.1") == frozenset()
    assert PrivateViews.from_setting("none").cidrs == []
    assert PrivateViews.from_setting("vpc-1=10.0.0.0/8").vpcs_for("127.0.0.1") == frozenset()
