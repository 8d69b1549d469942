"""10k hosted zones × 100 records: start-up time, RSS and dnsperf qps against a 1-zone gureum
started in the same run.

The zones are bulk-loaded straight into the store with gureum stopped, through the model
functions every API call uses (`model.create_zone`, `model.change_record_sets`, 100 zones per
transaction), not by N API calls. AWS's quota of 500 hosted zones per account holds, so the
zones are spread over ceil(zones / 500) accounts. Then both nodes are restarted and timed from
spawn to the first DNS answer for a name in the last zone, their RSS read, and dnsperf runs
alternate between them: names spread over every zone vs the same number of names in the one
zone.

The reference for "qps unchanged": NSD (when installed) serving the same zones from zone files,
measured the same way in the same run, 10k zones against 1 (each NSD one server process). What a
million records cost NSD, whose data is compiled C structures, is what the data's size costs
any server on this machine (caches, TLB): gureum's ratio is read against NSD's.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path

from common import Node, dnsperf, median, ratio

from bench.common import start_nsd, tree_pss_kib

PER_ACCOUNT = 500  # AWS's default hosted zones per account


def zone_name(i: int) -> str:
    return f"z{i}.scale.test"


def record_sets(zone: str, records: int) -> list[dict]:
    return [{"Name": f"h{j}.{zone}", "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": f"10.0.{j // 256 % 256}.{j % 256}"}]}
            for j in range(records)]


def bulk_load(data: Path, first: int, zones: int, records: int, step: int = 100) -> float:
    """Zones [first, first + zones) with `records` A record sets each, written through the store;
    returns zones per second."""
    from gureum.services.route53 import model
    from gureum.store import Txn, open_store

    store = open_store(f"sqlite:///{data / 'state.db'}")
    t0 = time.perf_counter()
    for lo in range(first, first + zones, step):
        def fill(t: Txn, lo: int = lo) -> None:
            for i in range(lo, min(lo + step, first + zones)):
                account = f"{100000000000 + i // PER_ACCOUNT:012d}"
                made = model.create_zone(t, account, zone_name(i), f"scale-{i}", None, False, None, None)
                changes = [{"Action": "CREATE", "ResourceRecordSet": r} for r in record_sets(zone_name(i), records)]
                model.change_record_sets(t, account, model.bare_id(made["zone"]["Id"]), {"Changes": changes})
        store.run_sync(fill)
    import asyncio

    asyncio.run(store.close())
    return zones / (time.perf_counter() - t0)


def zone_text(zone: str, records: int) -> str:
    """Zone `zone` as a zone file for NSD: SOA, NS and the record sets of bulk_load."""
    lines = [f"$ORIGIN {zone}.", "$TTL 300",
             f"@ 900 IN SOA ns.{zone}. hostmaster.{zone}. 1 7200 900 1209600 86400", f"@ 172800 IN NS ns.{zone}.",
             "ns 300 IN A 10.1.0.1"]
    lines += [f"{r['Name'].removesuffix('.' + zone)} 300 IN A {r['ResourceRecords'][0]['Value']}" for r in record_sets(zone, records)]
    return "\n".join(lines) + "\n"


def nsd_reference(work: Path, args: argparse.Namespace) -> dict[str, float]:
    """NSD's qps over `spread.txt` with every zone loaded, and over `single.txt` with the one
    zone: warm-up passes, then --runs runs alternating, as for gureum."""
    out: dict[str, float] = {}
    servers = {}
    try:
        for label, zones in (("one", 1), ("big", args.zones)):
            named = ((zone_name(i), zone_text(zone_name(i), args.records)) for i in range(zones))
            proc, port, t0 = start_nsd(work / f"nsd-{label}", named)
            servers[label] = (proc, port)
            wait_answer(port, f"h{args.records - 1}.{zone_name(zones - 1)}")
            label_zones = f"{zones} zone{'s' if zones > 1 else ''}"
            out[f"NSD start s ({label_zones})"] = time.perf_counter() - t0
            out[f"NSD PSS MiB ({label_zones})"] = tree_pss_kib(proc.pid) / 1024  # nsd, its server and xfrd
        qfiles = {"one": work / "single.txt", "big": work / "spread.txt"}
        for label, (_, port) in servers.items():
            dnsperf(port, qfiles[label], 300, args.clients, args.outstanding, "-n", "1")
        qps: dict[str, list[float]] = {"one": [], "big": []}
        for i in range(args.runs):
            for label, (_, port) in servers.items():
                r = dnsperf(port, qfiles[label], args.seconds, args.clients, args.outstanding)
                qps[label].append(r["qps"])
                print(f"  run {i + 1}/{args.runs} NSD {label:3s} {r['qps']:>9.0f} qps  lost {r['lost']:.0f}  avg {r['latency_ms']:.2f} ms", flush=True)
        out["NSD qps (1 zone)"] = median(qps["one"])
        out[f"NSD qps ({args.zones} zones)"] = median(qps["big"])
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(30)
    return out


def wait_answer(port: int, name: str, timeout: float = 300.0) -> None:
    import dns.exception
    import dns.message
    import dns.query

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=port, timeout=0.2)
            if r.answer:
                return
        except (dns.exception.DNSException, OSError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no answer for {name} on port {port}")


def timed_start(node: Node, name: str) -> float:
    t0 = time.perf_counter()
    node.spawn()
    wait_answer(node.dns_port, name)
    took = time.perf_counter() - t0
    node.wait_ready()
    return took


def run(work: Path, args: argparse.Namespace) -> dict[str, float]:
    if shutil.which("dnsperf") is None:
        raise SystemExit("bench/scale dns: dnsperf is not installed (apt-get install dnsperf)")
    big, one = Node(work / "zones"), Node(work / "one")
    out: dict[str, float] = {}
    try:
        for node in (big, one):  # a store with its schema, then stopped
            node.start()
            node.stop()
        out["bulk load zones/s"] = bulk_load(big.data, 0, args.zones, args.records)
        bulk_load(one.data, 0, 1, args.records)
        last = f"h{args.records - 1}.{zone_name(args.zones - 1)}"
        out["start s (1 zone)"] = timed_start(one, f"h{args.records - 1}.{zone_name(0)}")
        out[f"start s ({args.zones} zones)"] = timed_start(big, last)
        out["RSS MiB (1 zone)"] = one.rss_mib()
        out[f"RSS MiB ({args.zones} zones)"] = big.rss_mib()
        rng = random.Random(3)
        names = args.queries
        spread = [f"h{rng.randrange(args.records)}.{zone_name(rng.randrange(args.zones))} A" for _ in range(names)]
        single = [f"h{rng.randrange(args.records)}.{zone_name(0)} A" for _ in range(names)]
        (work / "spread.txt").write_text("\n".join(spread) + "\n")
        (work / "single.txt").write_text("\n".join(single) + "\n")
        for label, node, qfile in (("one", one, work / "single.txt"), ("big", big, work / "spread.txt")):
            # One pass through the file, however long it takes: every name answered once, so
            # the runs compare answering, not a cache still filling (the first answer of a
            # name is built in Python; 20k names over 10k zones did not fit in a timed warm-up).
            r = dnsperf(node.dns_port, qfile, 300, args.clients, args.outstanding, "-n", "1")
            out[f"warm-up qps ({label})"] = r["qps"]
            print(f"  warm-up {label:3s} {r['qps']:>9.0f} qps  lost {r['lost']:.0f}  avg {r['latency_ms']:.2f} ms", flush=True)
        qps: dict[str, list[float]] = {"one": [], "big": []}
        for i in range(args.runs):
            for label, node, qfile in (("one", one, work / "single.txt"), ("big", big, work / "spread.txt")):
                r = dnsperf(node.dns_port, qfile, args.seconds, args.clients, args.outstanding)
                qps[label].append(r["qps"])
                print(f"  run {i + 1}/{args.runs} {label:3s} {r['qps']:>9.0f} qps  lost {r['lost']:.0f}  avg {r['latency_ms']:.2f} ms", flush=True)
        out["qps (1 zone)"] = median(qps["one"])
        out[f"qps ({args.zones} zones)"] = median(qps["big"])
        out["RSS MiB after load (1 zone)"] = one.rss_mib()
        out[f"RSS MiB after load ({args.zones} zones)"] = big.rss_mib()
    finally:
        big.stop()
        one.stop()
    if shutil.which("nsd") is not None:  # after gureum's nodes stopped: each server has the machine
        out.update(nsd_reference(work, args))
    z = args.zones
    print(f"\n10k-zones scale: {z} zones × {args.records} records ({(z + PER_ACCOUNT - 1) // PER_ACCOUNT} accounts) vs 1 zone × {args.records}, same run")
    for k, v in out.items():
        print(f"  {k:34s} {v:12.2f}")
    print(f"  ratio start   {z} zones / 1 zone = {ratio(out[f'start s ({z} zones)'], out['start s (1 zone)'])}")
    print(f"  ratio RSS     {z} zones / 1 zone = {ratio(out[f'RSS MiB ({z} zones)'], out['RSS MiB (1 zone)'])}")
    print(f"  ratio qps     {z} zones / 1 zone = {ratio(out[f'qps ({z} zones)'], out['qps (1 zone)'])}")
    if "NSD qps (1 zone)" in out:
        print(f"  NSD ratio qps {z} zones / 1 zone = {ratio(out[f'NSD qps ({z} zones)'], out['NSD qps (1 zone)'])}"
              "   (the data's own cost on this machine)")
    return out


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--zones", type=int, default=10_000)
    ap.add_argument("--records", type=int, default=100, help="A record sets per zone (besides SOA and NS)")
    ap.add_argument("--queries", type=int, default=20_000, help="names in each dnsperf query file")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--outstanding", type=int, default=100)
