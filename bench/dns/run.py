"""dnsperf against gureum's DNS server and against NSD serving the same zone, in one run.

    python bench/dns/run.py [--runs 3] [--seconds 10] [--clients 4] [--outstanding 200] [--hosts 1000]

Starts `gureum up` (ephemeral data dir, free ports), creates a zone through the Route 53 API,
exports it as a zone file for NSD (`rrl-ratelimit: 0`, one server process), then alternates
dnsperf runs between the two servers with the same query file and prints each run, the
medians and the ratio. Needs the Debian packages dnsperf and nsd. Loopback traffic only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import Gureum, start_nsd
from gureum.services.route53 import zonefile

ZONE = "bench.test"
GUREUM_ONLY = ("static", "policy", "static-10k", "policy-10k", "unsigned-do", "signed", "signed-random")  # NSD: no policies, unsigned zone


def wait_dns(port: int, timeout: float = 20.0) -> None:
    import dns.exception
    import dns.message
    import dns.query

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = dns.query.udp(dns.message.make_query(f"www.{ZONE}", "A"), "127.0.0.1", port=port, timeout=0.5)
            if r.answer:
                return
        except (dns.exception.DNSException, OSError):
            time.sleep(0.1)  # not answering yet
            continue
        time.sleep(0.1)
    raise RuntimeError(f"no DNS answer on port {port}")


def start_gureum(work: Path) -> tuple[subprocess.Popen, str, int]:
    g = Gureum(work / "gureum", log=work / "gureum.log", services=["route53"]).start()
    return g.process, g.endpoint, g.dns_port


def populate(endpoint: str, hosts: int) -> tuple[str, list[str]]:
    """Create the zone through the API; return its zone file text and the query lines."""
    client = zonefile._client(endpoint)
    zone_id = client.create_hosted_zone(Name=ZONE, CallerReference=f"bench-{time.time()}")["HostedZone"]["Id"]
    sets = record_sets(ZONE, hosts)
    for batch in zonefile.batches(sets):
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
    text = zonefile.export_text(ZONE, zonefile.all_record_sets(client, zone_id))
    rng = random.Random(7)
    queries = [f"www.{ZONE} A", f"www.{ZONE} AAAA", f"{ZONE} MX", f"web.{ZONE} A", f"x{1}.wild.{ZONE} A",
               f"{ZONE} SOA", f"{ZONE} NS", f"{ZONE} TXT", f"nope.{ZONE} A", f"www.{ZONE} MX"]
    queries += [f"h{rng.randrange(hosts)}.{ZONE} A" for _ in range(2000)]
    queries += [f"missing{i}.{ZONE} A" for i in range(200)]
    rng.shuffle(queries)
    return text, queries


SIGNED = "signed.test"
SIGNED_SCENARIOS = ("unsigned-do", "signed", "signed-random")  # gureum only, DO set (dnsperf -D)


def populate_signed(endpoint: str, hosts: int) -> None:
    """The same record sets as ZONE in SIGNED, signed (a KSK, EnableHostedZoneDNSSEC)."""
    client = zonefile._client(endpoint)
    zone_id = client.create_hosted_zone(Name=SIGNED, CallerReference=f"bench-signed-{time.time()}")["HostedZone"]["Id"]
    for batch in zonefile.batches(record_sets(SIGNED, hosts)):
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
    client.create_key_signing_key(CallerReference=f"bench-ksk-{time.time()}", HostedZoneId=zone_id, Name="bench_ksk",
                                  KeyManagementServiceArn="arn:aws:kms:us-east-1:000000000000:key/bench", Status="ACTIVE")
    client.enable_hosted_zone_dnssec(HostedZoneId=zone_id)


def record_sets(zone: str, hosts: int) -> list[dict]:
    ZONE = zone  # the same f-strings for any zone name
    sets = [
        {"Name": f"www.{ZONE}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.1"}, {"Value": "192.0.2.2"}]},
        {"Name": f"www.{ZONE}", "Type": "AAAA", "TTL": 300, "ResourceRecords": [{"Value": "2001:db8::1"}]},
        {"Name": ZONE, "Type": "MX", "TTL": 300, "ResourceRecords": [{"Value": f"10 mail.{ZONE}."}]},
        {"Name": f"mail.{ZONE}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.25"}]},
        {"Name": f"web.{ZONE}", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": f"www.{ZONE}"}]},
        {"Name": f"*.wild.{ZONE}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.99"}]},
        {"Name": f"{ZONE}", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"v=spf1 -all"'}]},
    ]
    sets += [{"Name": f"h{i}.{ZONE}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}]} for i in range(hosts)]
    return sets


POLICY_NAMES = 100
ROUTED_10K = 10_000
ECS_GB = "8:00011800510245"  # dnsperf -E: EDNS Client Subnet 81.2.69.0/24 (the bundled DB: GB)


def _routed_sets(names: list[str], checks: list[str]) -> list[dict]:
    """Half of `names` weighted + health-checked (3 records, 2 checked), half geolocated
    (GB / EU / NA / `*`)."""
    sets = []
    half = len(names) // 2
    for name in names[:half]:
        for sid, weight, hc in (("a", 10, checks[0]), ("b", 30, checks[1]), ("c", 60, None)):
            doc = {"Name": name, "Type": "A", "TTL": 60, "SetIdentifier": sid, "Weight": weight,
                   "ResourceRecords": [{"Value": f"198.51.100.{ord(sid) - 96}"}]}
            if hc:
                doc["HealthCheckId"] = hc
            sets.append(doc)
    for name in names[half:]:
        for sid, geo, value in (("gb", {"CountryCode": "GB"}, "203.0.113.1"), ("eu", {"ContinentCode": "EU"}, "203.0.113.2"),
                                ("na", {"ContinentCode": "NA"}, "203.0.113.3"), ("any", {"CountryCode": "*"}, "203.0.113.4")):
            sets.append({"Name": name, "Type": "A", "TTL": 60, "SetIdentifier": sid, "GeoLocation": geo,
                         "ResourceRecords": [{"Value": value}]})
    return sets


def _checks(client: object, hc_port: int, tag: str) -> list[str]:
    return [client.create_health_check(CallerReference=f"bench-hc-{tag}{i}-{time.time()}", HealthCheckConfig={  # type: ignore[attr-defined]
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": hc_port, "RequestInterval": 10})["HealthCheck"]["Id"] for i in range(2)]


def populate_policies(endpoint: str, hc_port: int) -> tuple[list[str], list[str]]:
    """Weighted + health-checked sets and geolocated sets (the `policy` scenario), and the
    static names of the same count (the `static` scenario, same run, same server)."""
    client = zonefile._client(endpoint)
    zone_id = client.list_hosted_zones_by_name(DNSName=ZONE)["HostedZones"][0]["Id"]
    routed = [f"wt{i}.{ZONE}" for i in range(POLICY_NAMES)] + [f"geo{i}.{ZONE}" for i in range(POLICY_NAMES)]
    for batch in zonefile.batches(_routed_sets(routed, _checks(client, hc_port, ""))):
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
    static = [f"h{i}.{ZONE} A" for i in range(POLICY_NAMES)] * 2
    policy = [f"{name} A" for name in routed]
    rng = random.Random(5)
    rng.shuffle(static)
    rng.shuffle(policy)
    return static, policy


def populate_10k(endpoint: str, hc_port: int) -> tuple[list[str], list[str]]:
    """ROUTED_10K routed names (half weighted + health-checked, half geolocated) and
    ROUTED_10K static names, spread over zones k0.bench.test… of 1,000 of each (Route 53
    allows 10,000 record sets per zone: 10k routed names are 35,000)."""
    client = zonefile._client(endpoint)
    checks = _checks(client, hc_port, "10k-")
    static, policy = [], []
    for z in range(ROUTED_10K // 1000):
        zone = f"k{z}.{ZONE}"
        zone_id = client.create_hosted_zone(Name=zone, CallerReference=f"bench-{zone}-{time.time()}")["HostedZone"]["Id"]
        routed = [f"wt{i}.{zone}" for i in range(500)] + [f"geo{i}.{zone}" for i in range(500)]
        plain = [f"s{i}.{zone}" for i in range(1000)]
        sets = _routed_sets(routed, checks)
        sets += [{"Name": n, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": f"10.{z}.{i // 256}.{i % 256}"}]} for i, n in enumerate(plain)]
        for batch in zonefile.batches(sets):
            client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": batch})
        static += [f"{n} A" for n in plain]
        policy += [f"{n} A" for n in routed]
    rng = random.Random(5)
    rng.shuffle(static)
    rng.shuffle(policy)
    return static, policy


def _accept_forever(listener: socket.socket) -> None:
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        conn.close()


def worker_cpu(pid: int) -> float:
    """CPU seconds (user + system) the native DNS workers of gureum `pid` have used."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        head, _, rest = stat.rpartition(")")
        fields = rest.split()
        if head.endswith("(gureum-dns") and int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def native_counts(pid: int) -> tuple[int, int] | None:
    """(answered natively, forwarded to Python) since start, read from the native DNS
    workers' shared-memory table (gureum/services/route53/native_table.py: header u64s at 48
    and 56) through gureum's own descriptor of it; None without native workers."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                if os.readlink(fd).startswith("/memfd:gureum-dns"):
                    with open(fd, "rb") as f:
                        head = f.read(64)
                    return int.from_bytes(head[48:56], "little"), int.from_bytes(head[56:64], "little")
            except OSError:
                continue
    except OSError:
        return None
    return None


def warm(pid: int, port: int, qfile: Path, args: argparse.Namespace, extra: tuple[str, ...]) -> tuple[float, float]:
    """dnsperf runs of --warmup seconds until less than 1% of a run's queries went to Python
    (every name and decision learnt by the native table) or --warm-limit seconds passed;
    (seconds taken, the last run's share to Python)."""
    t0 = time.monotonic()
    share = float("nan")
    while time.monotonic() - t0 < args.warm_limit:
        before = native_counts(pid)
        dnsperf(port, qfile, args.warmup, args.clients, args.outstanding, args.threads, extra)
        after = native_counts(pid)
        if before is None or after is None:  # no native workers: one run warms Python's cache
            break
        answered, forwarded = after[0] - before[0], after[1] - before[1]
        share = forwarded / (answered + forwarded) if answered + forwarded else 0.0
        if share < 0.01:
            break
    return time.monotonic() - t0, share


def _cpu_line(results: dict[str, dict[str, list[dict]]], static: str, policy: str) -> None:
    """The workers' CPU per native answer, static vs routed (qps on a busy 2-core machine
    swings with the load and with how SO_REUSEPORT spreads dnsperf's sockets over the
    workers; CPU per answer does not), and how many queries went to Python."""
    def med(sc: str, key: str) -> float:
        return statistics.median(r.get(key, float("nan")) for r in results[sc]["gureum"])
    st, po = med(static, "worker_us"), med(policy, "worker_us")
    print(f"    worker CPU per native answer: static {st:.2f} us   policy {po:.2f} us   ratio static/policy = {st / po:.3f}; "
          f"to Python per run: static {med(static, 'forwarded'):.0f}, policy {med(policy, 'forwarded'):.0f}")


def _extra(sc: str) -> tuple[str, ...]:
    """dnsperf options of a scenario: ECS from GB for the routing ones, DO for DNSSEC."""
    if sc in ("static", "policy", "static-10k", "policy-10k"):
        return ("-E", ECS_GB)
    return ("-D",) if sc in SIGNED_SCENARIOS else ()


def dnsperf(port: int, qfile: Path, seconds: int, clients: int, outstanding: int, threads: int, extra: tuple = ()) -> dict:
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(qfile), "-l", str(seconds),
                          "-c", str(clients), "-q", str(outstanding), "-T", str(threads), *extra],
                         capture_output=True, text=True, timeout=seconds + 60, check=False).stdout

    def grab(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else float("nan")

    return {"qps": grab(r"Queries per second:\s+([\d.]+)"), "lost": grab(r"Queries lost:\s+(\d+)"),
            "sent": grab(r"Queries sent:\s+(\d+)"), "latency_ms": 1000 * grab(r"Average Latency \(s\):\s+([\d.]+)")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--outstanding", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1, help="dnsperf threads (-T)")
    ap.add_argument("--nsd-servers", type=int, default=1, help="NSD server-count (processes)")
    ap.add_argument("--hosts", type=int, default=1000)
    ap.add_argument("--scenarios", default="mix,nxdomain,static,policy",
                    help="mix (repeating names), nxdomain (random names): gureum vs NSD; static vs policy "
                         "(weighted + health-checked and geolocated sets, ECS from GB): gureum only, same run")
    ap.add_argument("--json", action="store_true", help="print the summary as JSON too")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of each warm-up dnsperf run (not counted)")
    ap.add_argument("--warm-limit", type=float, default=120.0,
                    help="gureum: warm-up runs until < 1%% of a run's queries go to Python, at most this many seconds")
    # Routing at scale: --scenarios static-10k,policy-10k (10k static vs 10k routed names)
    # DNSSEC: --scenarios unsigned-do,signed,signed-random (DO set on every query, gureum only)
    args = ap.parse_args()
    for tool in ("dnsperf", "nsd"):
        if shutil.which(tool) is None:
            print(f"bench/dns: {tool} is not installed (apt-get install dnsperf nsd)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="gureum-bench-dns-"))
    procs: list[subprocess.Popen] = []
    try:
        gproc, endpoint, gport = start_gureum(work)
        procs.append(gproc)
        text, queries = populate(endpoint, args.hosts)
        hc_listener = socket.socket()  # the health checks' TCP target: healthy throughout
        hc_listener.bind(("127.0.0.1", 0))
        hc_listener.listen(128)
        # accepted and closed, so the backlog never fills: a full one times the checks out,
        # they flip to unhealthy and every flip clears the answers (runs measure re-learning)
        threading.Thread(target=_accept_forever, args=(hc_listener,), daemon=True).start()
        static_q, policy_q = populate_policies(endpoint, hc_listener.getsockname()[1])
        scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
        if any(sc.endswith("-10k") for sc in scenarios):
            static_10k, policy_10k = populate_10k(endpoint, hc_listener.getsockname()[1])
        if any(sc in SIGNED_SCENARIOS for sc in scenarios):
            populate_signed(endpoint, args.hosts)
        qfiles = {"mix": work / "queries.txt", "nxdomain": work / "random.txt", "static": work / "static.txt",
                  "policy": work / "policy.txt"}
        qfiles["static"].write_text("\n".join(static_q) + "\n")
        qfiles["policy"].write_text("\n".join(policy_q) + "\n")
        if any(sc.endswith("-10k") for sc in scenarios):
            qfiles["static-10k"], qfiles["policy-10k"] = work / "static-10k.txt", work / "policy-10k.txt"
            qfiles["static-10k"].write_text("\n".join(static_10k) + "\n")
            qfiles["policy-10k"].write_text("\n".join(policy_10k) + "\n")
        qfiles["mix"].write_text("\n".join(queries) + "\n")
        rng = random.Random(11)  # random names: every query misses any answer cache
        qfiles["nxdomain"].write_text("".join(f"r{rng.getrandbits(48):x}.{ZONE} A\n" for _ in range(200_000)))
        qfiles["unsigned-do"] = qfiles["mix"]  # the signed scenarios' baseline: DO to the unsigned zone
        qfiles["signed"] = work / "signed.txt"  # the same names in the signed zone
        qfiles["signed"].write_text("".join(q.replace(ZONE, SIGNED) + "\n" for q in queries))
        qfiles["signed-random"] = work / "signed-random.txt"  # black lies for random names: each one signed
        qfiles["signed-random"].write_text("".join(f"r{rng.getrandbits(48):x}.{SIGNED} A\n" for _ in range(200_000)))
        nproc, nport, _ = start_nsd(work / "nsd", [(ZONE, text)], args.nsd_servers)
        procs.append(nproc)
        wait_dns(gport)
        wait_dns(nport)
        for sc in scenarios:  # warm-up (not counted): answer caches and the native table fill
            dnsperf(nport, qfiles[sc], args.warmup, args.clients, args.outstanding, args.threads, _extra(sc)) if sc not in GUREUM_ONLY else None
            took, share = warm(gproc.pid, gport, qfiles[sc], args, _extra(sc))
            print(f"warm-up {sc:10s} gureum {took:5.1f} s, then {100 * share:.1f}% of queries to Python", flush=True)
        results: dict[str, dict[str, list[dict]]] = {sc: {"gureum": []} if sc in GUREUM_ONLY else {"gureum": [], "nsd": []} for sc in scenarios}
        for i in range(args.runs):
            for sc in scenarios:
                for name, port in (("gureum", gport), ("nsd", nport)):
                    if name not in results[sc]:
                        continue
                    before = native_counts(gproc.pid) if name == "gureum" else None
                    cpu0 = worker_cpu(gproc.pid)
                    r = dnsperf(port, qfiles[sc], args.seconds, args.clients, args.outstanding, args.threads, _extra(sc))
                    cpu1 = worker_cpu(gproc.pid)
                    after = native_counts(gproc.pid) if name == "gureum" else None
                    native = ""
                    if before is not None and after is not None:
                        answered, forwarded = after[0] - before[0], after[1] - before[1]
                        r["forwarded"] = forwarded
                        r["worker_us"] = 1e6 * (cpu1 - cpu0) / answered if answered else float("nan")
                        native = f"  native {answered}, to Python {forwarded}, worker CPU {r['worker_us']:.2f} us/answer"
                    results[sc][name].append(r)
                    print(f"run {i + 1}/{args.runs} {sc:10s} {name:7s} {r['qps']:>10.0f} qps  lost {r['lost']:.0f}/{r['sent']:.0f}  avg latency {r['latency_ms']:.2f} ms{native}", flush=True)
        nsd_version = subprocess.run(["nsd", "-v"], capture_output=True, text=True, check=False).stderr.splitlines()[0].split()[-1]
        print()
        print(f"dnsperf -l {args.seconds} -c {args.clients} -q {args.outstanding} -T {args.threads}; zone of {args.hosts + 9} record sets; "
              f"NSD {nsd_version} with server-count {args.nsd_servers}, rrl-ratelimit 0; median of {args.runs} runs, servers alternating")
        summary: dict[str, dict[str, Any]] = {}
        for sc in scenarios:
            med = {name: statistics.median(r["qps"] for r in rs) for name, rs in results[sc].items()}
            if sc in GUREUM_ONLY:
                summary[sc] = {"median_qps": med}
                continue
            ratio = med["gureum"] / med["nsd"] if med["nsd"] else float("nan")
            summary[sc] = {"median_qps": med, "ratio": ratio}
            label = {"mix": f"mix ({len(queries)} names, answers/NXDOMAIN/CNAME/wildcard)", "nxdomain": "random names (NXDOMAIN flood)"}[sc]
            print(f"  {label}")
            print(f"    gureum {med['gureum']:>9.0f} qps   NSD {med['nsd']:>9.0f} qps   ratio gureum/NSD = {ratio:.3f}")
        if "static" in summary and "policy" in summary:
            st, po = summary["static"]["median_qps"]["gureum"], summary["policy"]["median_qps"]["gureum"]
            summary["policy"]["ratio_to_static"] = po / st if st else float("nan")
            print(f"  static names ({POLICY_NAMES}) vs routed names ({POLICY_NAMES} weighted + health-checked, {POLICY_NAMES} geolocated), ECS 81.2.69.0/24")
            print(f"    static {st:>9.0f} qps   policy {po:>9.0f} qps   ratio policy/static = {po / st if st else float('nan'):.3f}")
            _cpu_line(results, "static", "policy")
        if "static-10k" in summary and "policy-10k" in summary:
            st, po = summary["static-10k"]["median_qps"]["gureum"], summary["policy-10k"]["median_qps"]["gureum"]
            summary["policy-10k"]["ratio_to_static"] = po / st if st else float("nan")
            print(f"  {ROUTED_10K} static names vs {ROUTED_10K} routed names ({ROUTED_10K // 2} weighted + health-checked, {ROUTED_10K // 2} geolocated), ECS 81.2.69.0/24")
            print(f"    static {st:>9.0f} qps   policy {po:>9.0f} qps   ratio policy/static = {po / st if st else float('nan'):.3f}")
            _cpu_line(results, "static-10k", "policy-10k")
        if "unsigned-do" in summary and "signed" in summary:
            un, si = summary["unsigned-do"]["median_qps"]["gureum"], summary["signed"]["median_qps"]["gureum"]
            summary["signed"]["ratio_to_unsigned"] = si / un if un else float("nan")
            print("  DNSSEC (DO set): the mix names in an unsigned zone vs the same names in a signed zone")
            print(f"    unsigned {un:>9.0f} qps   signed {si:>9.0f} qps   ratio signed/unsigned = {si / un if un else float('nan'):.3f}")
            if "signed-random" in summary:
                print(f"    signed zone, random names (a black lie signed per name): {summary['signed-random']['median_qps']['gureum']:.0f} qps")
        if args.json:
            print(json.dumps({"summary": summary, "runs": results}))
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
