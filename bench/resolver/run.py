"""gureum's recursive resolver against unbound with the same root hints, in one run.

    python bench/resolver/run.py [--runs 3] [--seconds 10] [--hosts 500] [--cold 40]

Starts `gureum up` with its DNS server on port 53 of a loopback address of its own (root hints
carry addresses, not ports) and its resolver on a free port, registers a domain through
Route 53 Domains with `--hosts` A records (TTL 1 h) in its hosted zone, and starts unbound
(Debian package, `module-config: iterator`, one thread) whose only upstream is gureum's root
(root hints). Then:

- cached answers: both caches warmed with every name, dnsperf alternates runs between the
  two with the same query file; medians and the ratio;
- cold iterative resolution: `--cold` domains registered, one name each, asked once through
  each resolver (nothing cached below the TLD): median and p90 latency.

Needs dnsperf and unbound. Loopback traffic only.
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
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTACT = {"FirstName": "Bench", "LastName": "Mark", "ContactType": "PERSON", "AddressLine1": "1 Loop St", "City": "Lo",
           "CountryCode": "GB", "ZipCode": "L0 0OP", "PhoneNumber": "+44.2070000000", "Email": "bench@example.org"}


def free_port() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def loopback_with_53() -> str:
    for _ in range(100):
        ip = f"127.{random.randrange(54, 250)}.{random.randrange(1, 250)}.{random.randrange(2, 250)}"
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((ip, 53))
            return ip
        except OSError:
            continue
    raise RuntimeError("no loopback address with port 53 free")


def start_gureum(work: Path, host: str, resolver_port: int) -> tuple[subprocess.Popen[bytes], str]:
    http = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(work / "gureum.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gureum", "up", "--host", host, "--port", str(http), "--dns-port", "53",
             "--data-dir", str(work / "gureum"), "--set", "domains.operation_seconds=0.1", "--set", "domains.max_domains=10000",
             "--set", f"resolver.port={resolver_port}"], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
    endpoint = f"http://{host}:{http}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(endpoint + "/_gureum/health", timeout=1) as resp:
                services = json.load(resp)["services"]
                if all(services.get(s, {}).get("state") in ("running", "available") for s in ("route53", "route53domains", "route53resolver")):
                    return proc, endpoint
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gureum did not start: " + (work / "gureum.log").read_text(errors="replace")[-2000:])
        time.sleep(0.1)  # real time: polling a starting process


def clients(endpoint: str) -> tuple[Any, Any]:
    import boto3

    kw = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return boto3.client("route53domains", **kw), boto3.client("route53", **kw)


def register(d: Any, r53: Any, names: list[str]) -> dict[str, str]:
    ops = {n: d.register_domain(DomainName=n, DurationInYears=1, AdminContact=CONTACT, RegistrantContact=CONTACT,
                                TechContact=CONTACT)["OperationId"] for n in names}
    deadline = time.monotonic() + 120
    for op in ops.values():
        while d.get_operation_detail(OperationId=op)["Status"] != "SUCCESSFUL":
            if time.monotonic() > deadline:
                raise RuntimeError("registrations did not complete")
            time.sleep(0.05)  # real time: polling the operation
    zones: dict[str, str] = {}
    for page in r53.get_paginator("list_hosted_zones").paginate():
        for z in page["HostedZones"]:
            zones[z["Name"].rstrip(".")] = z["Id"]
    return {n: zones[n] for n in names}


def put_hosts(r53: Any, zone: str, names: list[str]) -> None:
    for i in range(0, len(names), 500):
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": {"Name": n, "Type": "A", "TTL": 3600,
                                                       "ResourceRecords": [{"Value": f"10.0.{j // 250}.{j % 250 + 1}"}]}}
            for j, n in enumerate(names[i:i + 500], start=i)]})


def start_unbound(work: Path, host: str) -> tuple[subprocess.Popen[bytes], int]:
    work.mkdir()
    (work / "root.hints").write_text(f".  3600000  NS  a.root-servers.net.\na.root-servers.net.  3600000  A  {host}\n")
    port = free_port()
    (work / "unbound.conf").write_text(f"""server:
  interface: 127.0.0.1
  port: {port}
  do-not-query-localhost: no
  root-hints: "{work}/root.hints"
  username: ""
  chroot: ""
  directory: "{work}"
  pidfile: "{work}/unbound.pid"
  use-syslog: no
  logfile: "{work}/unbound.log"
  module-config: "iterator"
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  msg-cache-size: 64m
  rrset-cache-size: 128m
remote-control:
  control-enable: no
""")
    proc = subprocess.Popen([shutil.which("unbound") or "/usr/sbin/unbound", "-d", "-c", str(work / "unbound.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def ask(port: int, name: str, timeout: float = 5.0) -> tuple[float, Any]:
    import dns.message
    import dns.query

    t0 = time.perf_counter()
    r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=timeout)
    return time.perf_counter() - t0, r


def dnsperf(port: int, qfile: Path, seconds: int, clients_n: int, outstanding: int) -> dict[str, float]:
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(qfile), "-l", str(seconds),
                          "-c", str(clients_n), "-q", str(outstanding)], capture_output=True, text=True,
                         timeout=seconds + 60, check=False).stdout

    def grab(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else float("nan")

    return {"qps": grab(r"Queries per second:\s+([\d.]+)"), "lost": grab(r"Queries lost:\s+(\d+)"),
            "latency_ms": 1000 * grab(r"Average Latency \(s\):\s+([\d.]+)")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--outstanding", type=int, default=100)
    ap.add_argument("--hosts", type=int, default=500)
    ap.add_argument("--cold", type=int, default=40)
    args = ap.parse_args()
    for tool in ("dnsperf", "unbound"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"bench/resolver: {tool} is not installed (apt-get install dnsperf unbound)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="bench-resolver-"))
    host = loopback_with_53()
    rport = free_port()
    g, endpoint = start_gureum(work, host, rport)
    unbound = None
    try:
        d, r53 = clients(endpoint)
        tag = random.randrange(10**6)
        main_domain = f"bench{tag}.com"
        zones = register(d, r53, [main_domain])
        hosts = [f"h{i}.{main_domain}" for i in range(args.hosts)]
        put_hosts(r53, zones[main_domain], hosts)
        cold_domains = [f"cold{tag}-{i}.net" for i in range(args.cold)]
        cold_zones = register(d, r53, cold_domains)
        for name in cold_domains:
            put_hosts(r53, cold_zones[name], [f"www.{name}"])
        unbound, uport = start_unbound(work / "unbound", host)
        deadline = time.monotonic() + 30
        while True:
            try:
                ask(uport, "com.", 1.0)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)  # real time: waiting for unbound to listen

        # cold: one fresh name per freshly registered domain, gureum first for half, unbound first for the rest
        cold: dict[str, list[float]] = {"gureum": [], "unbound": []}
        for i, name in enumerate(cold_domains):
            order = [("gureum", rport), ("unbound", uport)]
            for label, port in order if i % 2 == 0 else order[::-1]:
                dt, r = ask(port, f"www.{name}")
                if r.answer:
                    cold[label].append(dt * 1000)
        # warm both caches
        for port in (rport, uport):
            for name in hosts:
                ask(port, name)
        qfile = work / "queries.txt"
        qfile.write_text("".join(f"{n} A\n" for n in hosts))
        results: dict[str, list[dict[str, float]]] = {"gureum": [], "unbound": []}
        for run in range(args.runs):
            for label, port in (("gureum", rport), ("unbound", uport)) if run % 2 == 0 else (("unbound", uport), ("gureum", rport)):
                res = dnsperf(port, qfile, args.seconds, args.clients, args.outstanding)
                results[label].append(res)
                print(f"run {run + 1} {label:8s} {res['qps']:10.0f} qps  lost {res['lost']:.0f}  avg {res['latency_ms']:.2f} ms", flush=True)
        med = {k: statistics.median(r["qps"] for r in v) for k, v in results.items()}
        print(f"\ncached answers (dnsperf, {args.hosts} names, {args.runs} runs x {args.seconds} s, median qps):")
        print(f"  gureum resolver {med['gureum']:10.0f}\n  unbound         {med['unbound']:10.0f}\n  ratio gureum/unbound {med['gureum'] / med['unbound']:.2f}")

        def pct(xs: list[float], p: float) -> float:
            xs = sorted(xs)
            return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")

        print(f"\ncold iterative resolution ({args.cold} fresh domains, root -> TLD -> hosted zone), ms:")
        for label, xs in cold.items():
            print(f"  {label:8s} median {statistics.median(xs) if xs else float('nan'):7.2f}  p90 {pct(xs, 0.9):7.2f}  answered {len(xs)}/{args.cold}")
        return 0
    finally:
        if unbound is not None:
            unbound.terminate()
            unbound.wait(10)
        g.terminate()
        g.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
