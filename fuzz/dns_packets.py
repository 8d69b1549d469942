"""DNS packet fuzzer: queries made with dnspython (a zone gureum serves, EDNS, DNSSEC OK,
client subnet, AXFR, NOTIFY, updates), mutated (bit flips, truncation, label pointer loops,
count mismatches, random bytes), sent over UDP and, pipelined, over TCP.

Every answer must be a well-formed DNS message; SERVFAIL is a server error (a malformed
query deserves FORMERR or no answer); a valid control query sent after the garbage must be
answered (UDP) or answered-or-closed (TCP) within `TIMEOUT`, else it is a hang.
"""

from __future__ import annotations

import random
import socket
import struct
import time
import uuid
from typing import Any

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.update

from fuzz.report import Report, rng, short

TIMEOUT = 5.0
ZONE = "fuzz.example."


def make_zone(endpoint: str) -> None:
    """A hosted zone with a few kinds of records, so mutated queries hit real answers."""
    import boto3

    client = boto3.client("route53", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    zone = client.create_hosted_zone(Name=ZONE, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    changes = [
        ("www", "A", ["192.0.2.1", "192.0.2.2"]),
        ("*.wild", "TXT", ['"wildcard"']),
        ("alias", "CNAME", ["www." + ZONE]),
        ("mail", "MX", ["10 www." + ZONE]),
        ("big", "TXT", [f'"{i}{"x" * 200}"' for i in range(12)]),
        ("v6", "AAAA", ["2001:db8::1"]),
    ]
    client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": f"{name}.{ZONE}", "Type": rtype, "TTL": 60,
                                                   "ResourceRecords": [{"Value": v} for v in values]}}
        for name, rtype, values in changes
    ]})


def seeds() -> list[bytes]:
    out = []
    queries: list[tuple[str, str, dict[str, Any]]] = [
        ("www." + ZONE, "A", {}),
        ("x.wild." + ZONE, "TXT", {"use_edns": 0, "want_dnssec": True}),
        ("big." + ZONE, "TXT", {"use_edns": 0, "payload": 512}),
        ("alias." + ZONE, "AAAA", {}),
        (ZONE, "SOA", {"use_edns": 0}),
        (ZONE, "NS", {}),
        ("nope." + ZONE, "MX", {}),
        ("other.test.", "A", {}),
        (ZONE, "AXFR", {}),
        ("v6." + ZONE, "ANY", {"use_edns": 0,
                                "options": [dns.edns.ECSOption("81.2.69.0", 24)]}),
    ]
    for name, rtype, kw in queries:
        out.append(dns.message.make_query(name, rtype, **kw).to_wire())
    notify = dns.message.make_query(ZONE, "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    out.append(notify.to_wire())
    update = dns.update.UpdateMessage(ZONE)
    update.add("u." + ZONE, 60, "A", "192.0.2.9")
    out.append(update.to_wire())
    return out


def mutate(r: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(r.randint(1, 3)):
        op = r.randrange(8)
        if op == 0 and buf:  # bit flips
            for _ in range(r.randint(1, 4)):
                i = r.randrange(len(buf))
                buf[i] ^= 1 << r.randrange(8)
        elif op == 1:  # truncation
            del buf[r.randint(0, len(buf)) :]
        elif op == 2 and len(buf) >= 12:  # counts that do not match the sections
            i = 4 + 2 * r.randrange(4)
            buf[i : i + 2] = struct.pack("!H", r.choice([0, 1, 2, 255, 65535, r.randrange(65536)]))
        elif op == 3 and len(buf) > 13:  # a label pointer loop (to itself, or back and forth)
            at = r.randrange(12, len(buf) - 1)
            target = r.choice([at, 12, r.randrange(12, len(buf))])
            buf[at : at + 2] = struct.pack("!H", 0xC000 | target)
        elif op == 4:  # random bytes spliced in
            at = r.randint(0, len(buf))
            buf[at:at] = r.randbytes(r.randint(1, 32))
        elif op == 5 and len(buf) > 12:  # a label length past the end
            buf[r.randrange(12, len(buf))] = r.choice([63, 64, 127, 191, 255])
        elif op == 6 and len(buf) >= 4:  # header flags and opcode
            buf[2] = r.randrange(256)
            buf[3] = r.randrange(256)
        else:  # a long name of many labels
            at = min(len(buf), 12)
            buf[at:at] = b"\x01a" * r.randint(1, 200)
    return bytes(buf)


def generate(r: random.Random, pool: list[bytes]) -> bytes:
    x = r.random()
    if x < 0.05:
        return r.randbytes(r.randint(0, 600))
    if x < 0.1:
        return r.choice(pool)
    return mutate(r, r.choice(pool))


def check_reply(report: Report, query: bytes, reply: bytes, how: str) -> None:
    try:
        msg = dns.message.from_wire(reply, ignore_trailing=False, one_rr_per_rrset=True)
    except dns.exception.DNSException as exc:
        report.server_error(f"{how}: malformed answer ({type(exc).__name__}) to {short(query)}: {short(reply)}")
        return
    except Exception as exc:  # dnspython's own limits (e.g. recursion) on a pathological answer
        report.server_error(f"{how}: unreadable answer ({type(exc).__name__}) to {short(query)}: {short(reply)}")
        return
    if msg.rcode() == dns.rcode.SERVFAIL:
        report.server_error(f"{how}: SERVFAIL to {short(query)}")


def udp_round(report: Report, r: random.Random, pool: list[bytes], port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        batch = [generate(r, pool) for _ in range(20)]
        for query in batch:
            try:
                sock.send(query)
            except OSError:
                continue
            report.sent += 1
        # Collect what comes back (each answer must be well formed), then a control query.
        sock.settimeout(0.2)
        while True:
            try:
                reply = sock.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                break
            check_reply(report, b"(udp batch)", reply, "udp")
        # UDP may drop a datagram (a full socket buffer after the batch): like any resolver,
        # ask again before calling it a hang.
        control = dns.message.make_query("www." + ZONE, "A")
        sock.settimeout(TIMEOUT)
        for _attempt in range(3):
            sock.send(control.to_wire())
            report.sent += 1
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                try:
                    reply = sock.recv(65535)
                except (socket.timeout, ConnectionRefusedError):
                    break
                try:
                    if dns.message.from_wire(reply).id == control.id:
                        return
                except Exception:
                    continue
        report.hang(f"udp: no answer to a valid query (asked 3 times) after {short(b''.join(batch), 200)}")


def tcp_round(report: Report, r: random.Random, pool: list[bytes], port: int) -> None:
    batch = [generate(r, pool) for _ in range(r.randint(1, 10))]
    control = dns.message.make_query("www." + ZONE, "A")
    wire = b"".join(struct.pack("!H", len(q)) + q for q in batch)
    if r.random() < 0.1:  # a broken frame: the connection may be closed, never hang
        wire = wire[: r.randint(0, len(wire))]
    wire += struct.pack("!H", len(control.to_wire())) + control.to_wire()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(wire)
        except OSError:
            return
        report.sent += len(batch) + 1
        buf = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except OSError:
                return  # closed: allowed for garbage
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + (struct.unpack("!H", buf[:2])[0]):
                n = struct.unpack("!H", buf[:2])[0]
                reply, buf = buf[2 : 2 + n], buf[2 + n :]
                check_reply(report, b"(tcp batch)", reply, "tcp")
                try:
                    if dns.message.from_wire(reply).id == control.id and reply[2] & 0x80:
                        return
                except Exception:
                    pass
        report.hang(f"tcp: neither an answer to a valid query nor a close after {short(wire, 200)}")


def main(endpoint: str, dns_port: int, seconds: float) -> Report:
    report = Report("dns_packets")
    r = rng("dns_packets")
    try:
        make_zone(endpoint)
    except Exception as exc:
        report.notes.append(f"could not create the zone ({exc}); fuzzing without one")
    pool = seeds()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if r.random() < 0.5:
            udp_round(report, r, pool, dns_port)
        else:
            tcp_round(report, r, pool, dns_port)
    return report
