"""BIND zone files in and out of Route 53 hosted zones: `gureum dns import ZONE FILE` and
`gureum dns export ZONE`, through the Route 53 API of a running gureum (so imports obey the
same change-batch rules as any client's changes).

Export writes what BIND can express as ordinary records with absolute names and values (a
Route 53 value is always absolute, `10 mail.example.test` included, so it is written as
`10 mail.example.test.`: a re-import cannot append the origin). What BIND cannot express --
alias records and record sets with a routing policy (SetIdentifier, Weight, Region,
Failover, GeoLocation, GeoProximityLocation, CidrRoutingConfig, MultiValueAnswer,
HealthCheckId) -- is written as one comment line per record set holding its JSON
(ListResourceRecordSets shape):

    ;gureum-zone {"Id": "Z...", "Name": "example.test."}     the zone it came from
    ;gureum-rrset {"Name": "w.example.test.", "Type": "A", "SetIdentifier": "a", ...}

BIND, NSD and Knot read such a file as a plain zone (the comments are ignored); `gureum dns
import` reads both, so an export re-imports into the same record sets. Aliases to the
exported zone itself follow it into the zone imported into.

Import reads any BIND zone file: relative names are relative to the zone (or to $ORIGIN),
$TTL and $GENERATE work ($INCLUDE does not), and what BIND tools write -- named-compilezone
output, `dig AXFR` output with its repeated SOA -- loads as is. Like Route 53's own
importer it leaves the zone's apex SOA and NS alone and UPSERTs everything else; DNSSEC
records (RRSIG, NSEC, DNSKEY, ...) are skipped, Route 53 signs zones itself; record sets a
traffic policy instance made are skipped (recreate the instance). A name outside the zone
is an error (a file for another zone imports nothing and says so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer
import dns.zonefile

from gureum.services.route53 import names, records

BATCH_RECORDS = 1000  # AWS's per-request limit (UPSERT counts twice, so batches hold 500)
ZONE_TAG = ";gureum-zone "
RRSET_TAG = ";gureum-rrset "
PLAIN_KEYS = frozenset({"Name", "Type", "TTL", "ResourceRecords"})
DNSSEC_TYPES = frozenset({"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "KEY", "SIG", "NXT"})
DIRECTIVES = {"$ORIGIN", "$TTL", "$GENERATE"}


def bind_name(name: str) -> str:
    """A Route 53 name (octal escapes, `\\052`) in zone-file spelling (decimal escapes, `*`)."""
    return names.to_dns(names.parse(name)).to_text()


def bind_value(rtype: str, value: str) -> str:
    """A Route 53 value with every name in it absolute (trailing dot)."""
    try:
        return records.value_text(records.parse_value(rtype, value))
    except records.BadValue:
        return value


def export_text(zone_name: str, record_sets: list[dict], zone_id: str | None = None) -> str:
    """Record sets (ListResourceRecordSets shape) -> a BIND zone file (see the docstring)."""
    origin = names.normalize(zone_name)
    lines = [f"$ORIGIN {bind_name(origin)}",
             "; exported by gureum; ';gureum-rrset' lines are record sets BIND cannot express"
             " (aliases, routing policies): `gureum dns import` reads them"]
    if zone_id:
        lines.append(ZONE_TAG + json.dumps({"Id": zone_id.split("/")[-1], "Name": origin}))
    for rrs in record_sets:
        if set(rrs) <= PLAIN_KEYS and rrs.get("ResourceRecords"):
            name = bind_name(rrs["Name"])
            for rr in rrs["ResourceRecords"]:
                lines.append(f"{name}\t{rrs['TTL']}\tIN\t{rrs['Type']}\t{bind_value(rrs['Type'], rr['Value'])}")
        else:
            lines.append(RRSET_TAG + json.dumps(rrs, sort_keys=True, default=str))
    return "\n".join(lines) + "\n"


@dataclass
class Parsed:
    """What a zone file holds for a zone: record sets to UPSERT, and what was left out."""

    sets: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_text(text: str, zone_name: str, zone_id: str | None = None) -> list[dict]:
    """A zone file -> record sets to UPSERT (apex SOA/NS left out). Raises ValueError."""
    return parse_zone_file(text, zone_name, zone_id).sets


def parse_zone_file(text: str, zone_name: str, zone_id: str | None = None) -> Parsed:
    """A zone file -> Parsed, plain record sets first, then routed ones, then aliases (whose
    targets must exist first). `zone_id`: the zone imported into (aliases to the exported
    zone are pointed at it). Raises ValueError naming what is wrong."""
    zone_labels = names.parse(names.normalize(zone_name))
    origin = names.to_dns(zone_labels)
    out = Parsed()
    outside: list[str] = []
    plain: list[dict] = []
    for rrset in _read_rrsets(text, origin):
        if rrset.rdclass != dns.rdataclass.IN:
            continue
        labels = names.from_dns(rrset.name)
        name = names.to_text(labels)
        rtype = dns.rdatatype.to_text(rrset.rdtype)
        if not names.is_subdomain(labels, zone_labels):
            outside.append(name)
            continue
        if labels == zone_labels and rtype in ("SOA", "NS"):
            continue
        if rtype in DNSSEC_TYPES:
            out.skipped.append(f"{name} {rtype} (DNSSEC: Route 53 signs zones itself)")
            continue
        if rtype not in records.TYPES:
            raise ValueError(f"zone file: record type {rtype} at {name} is not supported by Route 53")
        plain.append({"Name": name, "Type": rtype, "TTL": rrset.ttl,
                      "ResourceRecords": [{"Value": records.value_text(rd)} for rd in rrset]})
    exported_from, special = _gureum_lines(text)
    routed, aliases = [], []
    for doc in special:
        labels = names.parse(str(doc["Name"]))
        name = names.to_text(labels)
        if not names.is_subdomain(labels, zone_labels):
            outside.append(name)
            continue
        doc = {**doc, "Name": name}
        if doc.get("TrafficPolicyInstanceId"):
            out.skipped.append(f"{name} {doc['Type']} (made by traffic policy instance {doc['TrafficPolicyInstanceId']}: recreate the instance)")
            continue
        alias = doc.get("AliasTarget")
        if alias:
            if zone_id and exported_from and alias.get("HostedZoneId", "").split("/")[-1] == exported_from:
                doc["AliasTarget"] = {**alias, "HostedZoneId": zone_id.split("/")[-1]}
            aliases.append(doc)
        else:
            routed.append(doc)
    if outside:
        shown = ", ".join(sorted(set(outside))[:5])
        raise ValueError(f"zone file: {len(set(outside))} name(s) are not in the zone {names.to_text(zone_labels)} "
                         f"(is the file for another zone?): {shown}")
    out.sets = plain + routed + aliases
    return out


class _Reader(dns.zonefile.Reader):
    """dnspython's zone-file reader, noting the names it skips for being outside the zone
    (it drops those lines silently: `_eat_line` is where it does so)."""

    outside: list[dns.name.Name]

    def _eat_line(self) -> None:
        if self.last_name is not None:
            self.outside.append(self.last_name)
        super()._eat_line()


def _read_rrsets(text: str, origin: dns.name.Name) -> list[Any]:
    """Every RRset of a zone file, names absolute (relative ones under `origin` until a
    $ORIGIN says otherwise), repeated RRsets merged (dig AXFR's closing SOA). Raises
    ValueError for syntax errors and for names outside the zone."""
    manager = dns.zonefile.RRSetsReaderManager(origin, False, dns.rdataclass.IN)
    outside: list[dns.name.Name] = []
    try:
        with manager.writer(True) as txn:
            tok = dns.tokenizer.Tokenizer(text, "<zone file>")
            reader = _Reader(tok, dns.rdataclass.IN, txn, allow_directives=DIRECTIVES)
            reader.outside = outside
            reader.read()
    except dns.exception.DNSException as exc:
        raise ValueError(f"zone file: {exc}") from None
    except ValueError as exc:
        if "non-origin SOA" in str(exc):
            raise ValueError(f"zone file: its SOA record is not at {origin} (is the file for another zone?)") from None
        raise ValueError(f"zone file: {exc}") from None
    except (KeyError, TypeError, UnicodeError) as exc:
        raise ValueError(f"zone file: {exc}") from None
    if outside:
        shown = ", ".join(sorted({n.to_text() for n in outside})[:5])
        raise ValueError(f"zone file: {len({*outside})} name(s) are not in the zone {origin} (is the file for another zone?): {shown}")
    return manager.rrsets


def _gureum_lines(text: str) -> tuple[str | None, list[dict]]:
    """The zone id a gureum export came from, and its `;gureum-rrset` record sets."""
    exported_from = None
    sets = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped.startswith((ZONE_TAG, RRSET_TAG)):
            continue
        tag = ZONE_TAG if stripped.startswith(ZONE_TAG) else RRSET_TAG
        try:
            doc = json.loads(stripped[len(tag):])
        except json.JSONDecodeError as exc:
            raise ValueError(f"zone file line {n}: {tag.strip()} is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ValueError(f"zone file line {n}: {tag.strip()} must be a JSON object")
        if tag == ZONE_TAG:
            exported_from = str(doc.get("Id") or "").split("/")[-1] or None
            continue
        if not isinstance(doc.get("Name"), str) or doc.get("Type") not in records.TYPES:
            raise ValueError(f"zone file line {n}: a record set needs a Name and a Route 53 Type")
        try:
            names.parse(doc["Name"])
        except names.BadName as exc:
            raise ValueError(f"zone file line {n}: bad name {doc['Name']!r}: {exc}") from None
        sets.append(doc)
    return exported_from, sets


def batches(record_sets: list[dict]) -> list[list[dict]]:
    out: list[list[dict]] = [[]]
    count = 0
    for rrs in record_sets:
        n = 2 * max(1, len(rrs.get("ResourceRecords") or ()))
        if out[-1] and count + n > BATCH_RECORDS:
            out.append([])
            count = 0
        out[-1].append({"Action": "UPSERT", "ResourceRecordSet": rrs})
        count += n
    return [b for b in out if b]


def _client(endpoint: str) -> Any:
    import botocore.session

    session = botocore.session.get_session()
    return session.create_client(
        "route53",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )


def find_zone(client: Any, zone: str) -> dict | None:
    """A zone by id (Z…, /hostedzone/Z…) or by name (the oldest of that name)."""
    if zone.startswith(("Z", "/hostedzone/")) and "." not in zone:
        return client.get_hosted_zone(Id=zone)["HostedZone"]
    want = names.normalize(zone)
    for z in client.list_hosted_zones_by_name(DNSName=want, MaxItems="100")["HostedZones"]:
        if z["Name"] == want:
            return z
    return None


def all_record_sets(client: Any, zone_id: str) -> list[dict]:
    out: list[dict] = []
    kw: dict[str, str] = {}
    while True:
        page = client.list_resource_record_sets(HostedZoneId=zone_id, **kw)
        out += page["ResourceRecordSets"]
        if not page["IsTruncated"]:
            return out
        kw = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
        if page.get("NextRecordIdentifier"):
            kw["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def import_zone(client: Any, zone: str, text: str) -> tuple[str, int, list[str]]:
    """UPSERT a zone file's records into `zone` (created if missing, only once the file is
    known to be good). -> (zone id, record sets, what was skipped)."""
    found = find_zone(client, zone)
    if found is None:
        parse_zone_file(text, zone)  # a bad file creates nothing
        import uuid

        found = client.create_hosted_zone(Name=zone, CallerReference=f"gureum-import-{uuid.uuid4()}")["HostedZone"]
    parsed = parse_zone_file(text, found["Name"], found["Id"])
    for batch in batches(parsed.sets):
        client.change_resource_record_sets(HostedZoneId=found["Id"], ChangeBatch={"Comment": "gureum dns import", "Changes": batch})
    return found["Id"], len(parsed.sets), parsed.skipped


def main(argv: list[str]) -> int:
    """`gureum dns import ZONE FILE` | `gureum dns export ZONE` (argv without "dns")."""
    parser = argparse.ArgumentParser(prog="gureum dns", description="Move BIND zone files in and out of Route 53 hosted zones.")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566"))
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="UPSERT a zone file's records into a hosted zone (created if missing)")
    imp.add_argument("zone", help="hosted zone name or id")
    imp.add_argument("file", help="BIND zone file ('-' for standard input)")
    exp = sub.add_parser("export", help="print a hosted zone as a BIND zone file")
    exp.add_argument("zone", help="hosted zone name or id")
    args = parser.parse_args(argv)
    import botocore.exceptions

    client = _client(args.endpoint)
    try:
        if args.command == "import":
            text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
            zone_id, n, skipped = import_zone(client, args.zone, text)
            print(f"imported {n} record sets into {zone_id}")
            for what in skipped:
                print(f"skipped {what}")
            return 0
        found = find_zone(client, args.zone)
        if found is None:
            print(f"gureum dns: no hosted zone {args.zone}", file=sys.stderr)
            return 1
        sys.stdout.write(export_text(found["Name"], all_record_sets(client, found["Id"]), found["Id"]))
        return 0
    except (ValueError, OSError) as exc:
        print(f"gureum dns: {exc}", file=sys.stderr)
        return 1
    except botocore.exceptions.ClientError as exc:
        print(f"gureum dns: {exc}", file=sys.stderr)
        return 1
    except botocore.exceptions.EndpointConnectionError as exc:
        print(f"gureum dns: {exc} (is gureum up?)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
