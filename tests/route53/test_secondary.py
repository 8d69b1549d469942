"""A real secondary (NSD, Debian package nsd) transfers gureum's zone and follows its changes
through NOTIFY + IXFR; AXFR/IXFR only for allowed clients."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.xfr
import dns.zone
import pytest
from harness import GureumProcess, free_port
from waiting import wait_for

pytestmark = pytest.mark.skipif(shutil.which("nsd") is None, reason="nsd (Debian package) is not installed")


@pytest.fixture
def primary(tmp_path: Path) -> Iterator[tuple[GureumProcess, int]]:
    nsd_port = free_port()
    proc = GureumProcess(tmp_path / "data", env={
        "GUREUM_DNS_ALLOW_TRANSFER": "127.0.0.1/32",
        "GUREUM_DNS_NOTIFY": f"127.0.0.1:{nsd_port}",
    })
    proc.start()
    proc.wait_service("route53", "running")
    yield proc, nsd_port
    proc.stop()


def start_nsd(work: Path, port: int, zone: str, primary_port: int) -> subprocess.Popen:
    work.mkdir()
    conf = work / "nsd.conf"
    conf.write_text(f"""server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  zonesdir: "{work}"
  pidfile: "{work}/nsd.pid"
  database: ""
  zonelistfile: "{work}/zone.list"
  xfrdfile: "{work}/xfrd.state"
  xfrdir: "{work}"
  logfile: "{work}/nsd.log"
  server-count: 1
  rrl-ratelimit: 0
  verbosity: 2
remote-control:
  control-enable: no
zone:
  name: {zone}
  zonefile: "{work}/{zone}.zone"
  request-xfr: 127.0.0.1@{primary_port} NOKEY
  allow-notify: 127.0.0.1 NOKEY
""")
    return subprocess.Popen(["nsd", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def answers_with(port: int, name: str, want: str) -> bool:
    """Whether the server on `port` answers `name` A with `want` (False while it is still starting)."""
    try:
        got = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=1)
    except Exception:  # noqa: BLE001 - NSD still starting
        return False
    return any(rr.to_text() == want for rrset in got.answer for rr in rrset)


def upsert(r53, zone_id: str, name: str, value: str) -> None:
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})


def test_nsd_secondary_transfers_and_follows_changes(primary, tmp_path):
    gureum, nsd_port = primary
    r53 = gureum.client("route53")
    zone_id = r53.create_hosted_zone(Name="secondary.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    upsert(r53, zone_id, "www.secondary.test", "192.0.2.1")
    nsd = start_nsd(tmp_path / "nsd", nsd_port, "secondary.test", gureum.dns_port)
    try:
        wait_for("NSD answering www.secondary.test -> 192.0.2.1", lambda: answers_with(nsd_port, "www.secondary.test", "192.0.2.1"), timeout=30)  # initial AXFR
        upsert(r53, zone_id, "www.secondary.test", "192.0.2.2")  # NOTIFY, then IXFR
        wait_for("NSD answering www.secondary.test -> 192.0.2.2", lambda: answers_with(nsd_port, "www.secondary.test", "192.0.2.2"), timeout=30)
        upsert(r53, zone_id, "new.secondary.test", "192.0.2.3")
        wait_for("NSD answering new.secondary.test -> 192.0.2.3", lambda: answers_with(nsd_port, "new.secondary.test", "192.0.2.3"), timeout=30)
        soa = dns.query.udp(dns.message.make_query("secondary.test", "SOA"), "127.0.0.1", port=nsd_port, timeout=2).answer[0][0]
        assert soa.serial == 4  # AWS's serial 1 + three changes
    finally:
        nsd.terminate()
        nsd.wait(10)


def test_axfr_and_ixfr_for_allowed_clients_only(primary):
    gureum, _nsd_port = primary
    r53 = gureum.client("route53")
    zone_id = r53.create_hosted_zone(Name="xfr.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    upsert(r53, zone_id, "a.xfr.test", "192.0.2.1")
    upsert(r53, zone_id, "b.xfr.test", "192.0.2.2")
    zone = dns.zone.Zone("xfr.test.")
    dns.query.inbound_xfr("127.0.0.1", zone, port=gureum.dns_port, timeout=5)
    assert zone.get_rdataset("a", "A")[0].to_text() == "192.0.2.1" and zone.get_rdataset("@", "SOA")[0].serial == 3
    # IXFR from serial 2 is one step (b added): SOA 3, SOA 2, (nothing removed), SOA 3, b, SOA 3
    query, _ = dns.xfr.make_query(zone, serial=2)
    ixfr = dns.query.tcp(query, "127.0.0.1", port=gureum.dns_port, timeout=5, one_rr_per_rrset=True)
    steps = [(rrset.rdtype, rrset[0].serial if rrset.rdtype == dns.rdatatype.SOA else rrset.name.to_text()) for rrset in ixfr.answer]
    assert steps == [(dns.rdatatype.SOA, 3), (dns.rdatatype.SOA, 2), (dns.rdatatype.SOA, 3),
                     (dns.rdatatype.A, "b.xfr.test."), (dns.rdatatype.SOA, 3)]
    dns.query.inbound_xfr("127.0.0.1", zone, query, port=gureum.dns_port, timeout=5)
    assert zone.get_rdataset("b", "A")[0].to_text() == "192.0.2.2"
    up_to_date, _ = dns.xfr.make_query(zone, serial=3)
    assert len(dns.query.tcp(up_to_date, "127.0.0.1", port=gureum.dns_port, timeout=5).answer) == 1
    if shutil.which("dig"):
        out = subprocess.run(["dig", "@127.0.0.1", "-p", str(gureum.dns_port), "xfr.test", "AXFR"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
        assert "192.0.2.1" in out and "192.0.2.2" in out
        assert out.count("SOA") >= 2  # the transfer starts and ends with the SOA
    refused = dns.message.make_query("xfr.test", "AXFR")
    response = dns.query.tcp(refused, "127.0.0.1", port=gureum.dns_port, timeout=5, source="127.0.0.2")
    assert response.rcode() == dns.rcode.REFUSED


def listed_serial(r53, zone_id: str) -> int:
    sets = r53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordType="SOA", StartRecordName=r53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"], MaxItems="1")
    soa = sets["ResourceRecordSets"][0]
    assert soa["Type"] == "SOA"
    return int(soa["ResourceRecords"][0]["Value"].split()[2])


def served_serial(port: int, name: str) -> int:
    return dns.query.udp(dns.message.make_query(name, "SOA"), "127.0.0.1", port=port, timeout=2).answer[0][0].serial


def test_with_secondaries_the_listed_serial_moves_and_is_the_served_one(primary):
    gureum, _nsd_port = primary
    r53 = gureum.client("route53")
    zone_id = r53.create_hosted_zone(Name="serial.test", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    assert listed_serial(r53, zone_id) == 1
    upsert(r53, zone_id, "a.serial.test", "192.0.2.1")
    upsert(r53, zone_id, "b.serial.test", "192.0.2.2")
    assert listed_serial(r53, zone_id) == 3
    wait_for("gureum answering b.serial.test -> 192.0.2.2", lambda: answers_with(gureum.dns_port, "b.serial.test", "192.0.2.2"), timeout=30)
    assert served_serial(gureum.dns_port, "serial.test") == 3
    # a batch that sets a serial of its own keeps it
    soa = r53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordType="SOA", StartRecordName="serial.test", MaxItems="1")["ResourceRecordSets"][0]
    fields = soa["ResourceRecords"][0]["Value"].split()
    fields[2] = "2026120301"
    soa["ResourceRecords"] = [{"Value": " ".join(fields)}]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": soa}]})
    assert listed_serial(r53, zone_id) == 2026120301
    wait_for("the served serial 2026120301", lambda: served_serial(gureum.dns_port, "serial.test") == 2026120301, timeout=30, interval=0.05)
