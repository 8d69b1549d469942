"""What the listener limits cost: HTTP requests/s and DNS queries/s (UDP and TCP) of this
checkout against a baseline revision (default: the commit before the limits), in the same
run, alternating.

    python bench/limits/run.py [--baseline REV] [--runs 2] [--seconds 5] [--connections 16]

The baseline is exported with `git archive` to a temporary directory and run from there with
the same interpreter. HTTP: keep-alive clients (two processes, `--connections` in all) GET
/_gureum/health as fast as answers come back. DNS: dnsperf (Debian's `dnsperf`) with 4
clients, over UDP and over TCP (`-m tcp`), against a zone of a few names. Prints each run,
then the medians and new/baseline ratios (1.00 = no cost).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import ROOT, Gureum  # noqa: E402

ZONE = "bench.example."


class Node:
    def __init__(self, name: str, root: Path, work: Path) -> None:
        self.name, self.root = name, root
        self.gureum = Gureum(work / name, tree=root, services=["route53"], log=work / f"{name}.log", name=name).start()
        self.port, self.dns_port = self.gureum.port, self.gureum.dns_port
        client = self.gureum.client("route53", retries=None)
        zone = client.create_hosted_zone(Name=ZONE, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {"Name": f"h{i}.{ZONE}", "Type": "A", "TTL": 300,
                                                       "ResourceRecords": [{"Value": f"192.0.2.{i}"}]}}
            for i in range(1, 50)]})

    def stop(self) -> None:
        self.gureum.stop()


async def _http_client(port: int, connections: int, seconds: float) -> int:
    request = b"GET /_gureum/health HTTP/1.1\r\nHost: bench\r\n\r\n"
    done = 0
    stop = time.monotonic() + seconds

    async def one() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return done


def _http_worker(port: int, connections: int, seconds: float, out: multiprocessing.Queue) -> None:
    out.put(asyncio.run(_http_client(port, connections, seconds)))


def http_rps(node: Node, connections: int, seconds: float) -> float:
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_http_worker, args=(node.port, connections // 2, seconds, out)) for _ in range(2)]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def dns_qps(node: Node, queries: Path, seconds: float, mode: str) -> float:
    res = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(node.dns_port), "-d", str(queries), "-l", str(seconds),
                          "-c", "4", "-q", "100", "-m", mode], capture_output=True, text=True, timeout=seconds + 60)
    m = re.search(r"Queries per second:\s+([\d.]+)", res.stdout)
    if not m:
        raise RuntimeError(res.stdout + res.stderr)
    return float(m.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", default="62a2451")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    base_root = work / "baseline-src"
    base_root.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(base_root)], input=archive, check=True)
    queries = work / "queries.txt"
    queries.write_text("".join(f"h{i}.{ZONE} A\n" for i in range(1, 50)) + f"nope.{ZONE} A\n{ZONE} SOA\n")
    nodes = [Node("baseline", base_root, work), Node("new", ROOT, work)]
    results: dict[tuple[str, str], list[float]] = {}
    try:
        for run in range(args.runs):
            for metric in ("http", "dns-udp", "dns-tcp"):
                for node in nodes if run % 2 == 0 else list(reversed(nodes)):
                    if metric == "http":
                        value = http_rps(node, args.connections, args.seconds)
                    else:
                        value = dns_qps(node, queries, args.seconds, metric.split("-")[1])
                    results.setdefault((metric, node.name), []).append(value)
                    print(f"run {run + 1} {metric:8} {node.name:9} {value:10.0f}/s", flush=True)
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("medians:")
    for metric in ("http", "dns-udp", "dns-tcp"):
        base = statistics.median(results[(metric, "baseline")])
        new = statistics.median(results[(metric, "new")])
        print(f"  {metric:8} baseline {base:10.0f}/s  new {new:10.0f}/s  ratio new/baseline {new / base:.2f}")


if __name__ == "__main__":
    main()
