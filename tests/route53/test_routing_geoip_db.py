"""`route53.geoip_db`: a user-supplied MaxMind-format database replaces the bundled one
(US subdivisions and coordinates included), end to end over DNS with ECS."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import dns.edns
import dns.message
import pytest
from harness import GureumProcess

from gureum.services.route53 import geo

from . import mmdb
from .zones import udp

NETWORKS = {
    "192.0.2.0/24": {"continent": {"code": "NA"}, "country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "CA"}],
                     "location": {"latitude": 37.4, "longitude": -122.1}},
    "198.51.100.0/24": {"continent": {"code": "NA"}, "country": {"iso_code": "US"}, "subdivisions": [{"iso_code": "NY"}],
                        "location": {"latitude": 40.7, "longitude": -74.0}},
    "203.0.113.0/24": {"continent": {"code": "EU"}, "country": {"iso_code": "GB"}},
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("geoip") / "city.mmdb"
    mmdb.write(path, NETWORKS)
    return path


def test_maxmind_file_places_clients_with_subdivisions_and_coordinates(db_path):
    db = geo.open_db(str(db_path))
    assert db.locate("192.0.2.9") == geo.Location("NA", "US", "CA", 37.4, -122.1)
    assert db.locate("203.0.113.5").country == "GB"
    assert db.locate("10.0.0.1") == geo.UNKNOWN


@pytest.fixture(scope="module")
def gureum_geoip(tmp_path_factory: pytest.TempPathFactory, db_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("geoipdb") / "data", env={"GUREUM_ROUTE53_GEOIP_DB": str(db_path)})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()


def test_configured_database_drives_geolocation_and_latency_answers(gureum_geoip):
    r53 = gureum_geoip.client("route53")
    zone = r53.create_hosted_zone(Name="mm.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]

    def a(name, value, **kw):
        return {"Action": "CREATE", "ResourceRecordSet": {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **kw}}

    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        a("geo.mm.test", "10.0.0.1", SetIdentifier="ca", GeoLocation={"CountryCode": "US", "SubdivisionCode": "CA"}),
        a("geo.mm.test", "10.0.0.2", SetIdentifier="us", GeoLocation={"CountryCode": "US"}),
        a("geo.mm.test", "10.0.0.9", SetIdentifier="any", GeoLocation={"CountryCode": "*"}),
        a("lat.mm.test", "10.1.0.1", SetIdentifier="west", Region="us-west-1"),
        a("lat.mm.test", "10.1.0.2", SetIdentifier="east", Region="us-east-1"),
    ]})

    def dig(name: str, subnet: str) -> list[str]:
        q = dns.message.make_query(name, "A", use_edns=0, options=[dns.edns.ECSOption(subnet, 24)])
        return sorted(rd.to_text() for rr in udp(q, gureum_geoip.dns_port).answer for rd in rr)

    assert dig("geo.mm.test", "192.0.2.0") == ["10.0.0.1"]  # California: the subdivision record
    assert dig("geo.mm.test", "198.51.100.0") == ["10.0.0.2"]  # New York: the country record
    assert dig("geo.mm.test", "203.0.113.0") == ["10.0.0.9"]
    assert dig("lat.mm.test", "192.0.2.0") == ["10.1.0.1"]  # coordinates from the file: us-west-1 is nearer
    assert dig("lat.mm.test", "198.51.100.0") == ["10.1.0.2"]
