"""BIND zone files in and out of Route 53 hosted zones: `gureum dns import ZONE FILE` and
`gureum dns export ZONE`, through the Route 53 API of a running gureum (so imports obey the
same change-batch rules as any client's changes).

Like Route 53's own importer, an import leaves the zone's apex SOA and NS alone and UPSERTs
everything else; an export writes alias records as comments (they have no zone-file form).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from gureum.services.route53 import names, records

BATCH_RECORDS = 1000  # AWS's per-request limit (UPSERT counts twice, so batches hold 500)


def export_text(zone_name: str, record_sets: list[dict]) -> str:
    """Record sets (ListResourceRecordSets shape) -> a BIND zone file with absolute names."""
    lines = [f"$ORIGIN {names.normalize(zone_name)}"]
    for rrs in record_sets:
        name = rrs["Name"].replace("\\052", "*")
        if rrs.get("AliasTarget"):
            t = rrs["AliasTarget"]
            lines.append(f"; {name} ALIAS {rrs['Type']} -> {t['DNSName']} (zone {t.get('HostedZoneId')})")
            continue
        policy = rrs.get("SetIdentifier")
        prefix = f"; set-identifier {policy}: " if policy else ""
        for rr in rrs.get("ResourceRecords") or ():
            lines.append(f"{prefix}{name}\t{rrs['TTL']}\tIN\t{rrs['Type']}\t{rr['Value']}")
    return "\n".join(lines) + "\n"


def parse_text(text: str, zone_name: str) -> list[dict]:
    """A BIND zone file -> record sets to UPSERT (apex SOA/NS left out). Raises ValueError."""
    origin = dns.name.from_text(names.normalize(zone_name))
    try:
        zone = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(f"zone file: {exc}") from None
    out = []
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            rtype = dns.rdatatype.to_text(rdataset.rdtype)
            if rdataset.rdclass != dns.rdataclass.IN:
                continue
            if name == origin and rtype in ("SOA", "NS"):
                continue
            if rtype not in records.TYPES:
                raise ValueError(f"zone file: record type {rtype} at {name} is not supported by Route 53")
            out.append({
                "Name": name.to_text(),
                "Type": rtype,
                "TTL": rdataset.ttl,
                "ResourceRecords": [{"Value": records.value_text(rd)} for rd in rdataset],
            })
    return out


def batches(record_sets: list[dict]) -> list[list[dict]]:
    out: list[list[dict]] = [[]]
    count = 0
    for rrs in record_sets:
        n = 2 * len(rrs["ResourceRecords"])
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


def import_zone(client: Any, zone: str, text: str) -> tuple[str, int]:
    """UPSERT a zone file's records into `zone` (created if missing). -> (zone id, record sets)."""
    found = find_zone(client, zone)
    if found is None:
        import uuid

        found = client.create_hosted_zone(Name=zone, CallerReference=f"gureum-import-{uuid.uuid4()}")["HostedZone"]
    sets = parse_text(text, found["Name"])
    for batch in batches(sets):
        client.change_resource_record_sets(HostedZoneId=found["Id"], ChangeBatch={"Comment": "gureum dns import", "Changes": batch})
    return found["Id"], len(sets)


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
            zone_id, n = import_zone(client, args.zone, text)
            print(f"imported {n} record sets into {zone_id}")
            return 0
        found = find_zone(client, args.zone)
        if found is None:
            print(f"gureum dns: no hosted zone {args.zone}", file=sys.stderr)
            return 1
        sys.stdout.write(export_text(found["Name"], all_record_sets(client, found["Id"])))
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
