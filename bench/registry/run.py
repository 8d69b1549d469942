"""Registry throughput: skopeo push and pull of a >= 50 MB image against gureum and against
Debian's docker-registry (distribution 2.8), both started here, in the same run.

    python bench/registry/run.py [--mb 64] [--runs 5]

Prints the median MB/s of each side and gureum's ratio to the peer (>= 1.0 is the target).
skopeo's own work (hashing, writing the layout) is most of a copy's time: the run also times
skopeo copying the image between two local OCI layouts (no registry), the floor under any
push or pull, which bounds the ratio any server can reach. So a second part
drives the servers directly: a 64 MB upload (POST, one PATCH, PUT ?digest=) and a GET of
it over raw HTTP, with each server's CPU seconds per GB moved (from /proc): what the
server itself costs, which a loaded machine's noise does not hide.
Each run pushes a freshly built image (new random payload: skopeo's blob-info cache would
otherwise turn pushes into cross-repository mounts) to a fresh repository of both
registries, then pulls it into a fresh OCI layout. Needs: skopeo, umoci, busybox-static, docker-registry (Debian packages).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from ecr.images import build_busybox_image, tools_missing  # noqa: E402

from bench.common import Gureum, Server, free_port  # noqa: E402


def start_gureum(work: Path) -> Server:
    return Gureum(work / "gureum", args=["--log-level", "warning"], log=work / "gureum.log").start()


def start_distribution(work: Path) -> Server:
    port = free_port()
    cfg = work / "registry.yml"
    cfg.write_text(
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {work / 'distribution'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    return Server("distribution", ["docker-registry", "serve", str(cfg)], port, health_path="/v2/",
                  log=work / "distribution.log").start()


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def measure(host: str, layout: Path, work: Path, tag: str) -> tuple[float, float]:
    ref = f"docker://{host}/bench/{tag}:v1"
    push = timed(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:v1", ref])
    out = work / f"pull-{tag}"
    pull = timed(["skopeo", "copy", "-q", "--src-tls-verify=false", ref, f"oci:{out}:v1"])
    shutil.rmtree(out, ignore_errors=True)
    return push, pull


def local_copy(layout: Path, work: Path) -> float:
    """skopeo copying the image between two local OCI layouts: its own work (reading,
    hashing, writing the layout) with no registry in the way, the floor of a push or pull."""
    out = work / "local-copy"
    t = timed(["skopeo", "copy", "-q", f"oci:{layout}:v1", f"oci:{out}:v1"])
    shutil.rmtree(out, ignore_errors=True)
    return t


def image_bytes(layout: Path) -> int:
    """Bytes of the image as pushed: the manifest, its config and its layers."""
    import json

    def blob(d: str) -> Path:
        return layout / "blobs" / "sha256" / d.split(":", 1)[1]

    index = json.loads((layout / "index.json").read_text())
    mdesc = index["manifests"][-1]
    manifest = json.loads(blob(mdesc["digest"]).read_text())
    return mdesc["size"] + manifest["config"]["size"] + sum(x["size"] for x in manifest["layers"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of process `pid`."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _path(location: str) -> str:
    return "/" + location.split("://", 1)[1].split("/", 1)[1] if "://" in location else location


def raw_upload(port: int, repo: str, data: bytes, digest: str) -> None:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", f"/v2/{repo}/blobs/uploads/")
    r = c.getresponse()
    r.read()
    loc = _path(r.getheader("Location") or "")
    c.request("PATCH", loc, body=data, headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    r.read()
    loc = _path(r.getheader("Location") or "")
    c.request("PUT", f"{loc}{'&' if '?' in loc else '?'}digest={digest}", headers={"Content-Length": "0"})
    r = c.getresponse()
    r.read()
    if r.status != 201:
        raise RuntimeError(f"upload to port {port} answered {r.status}")


def raw_get(port: int, repo: str, digest: str, size: int) -> None:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", f"/v2/{repo}/blobs/{digest}")
    r = c.getresponse()
    n = 0
    while chunk := r.read(1 << 20):
        n += len(chunk)
    if r.status != 200 or n != size:
        raise RuntimeError(f"GET from port {port}: {r.status}, {n} bytes")


def raw_part(sides: dict[str, tuple[int, int]], mb: int, runs: int) -> None:
    """Upload then GET `mb` MB straight over HTTP on every side, alternating the order."""
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in sides}
    cpu = {name: [0.0, 0.0] for name in sides}
    for i in range(runs + 1):  # round 0 warms up
        data = os.urandom(mb * 1024 * 1024)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
        for name, (port, pid) in order:
            c0, t0 = cpu_seconds(pid), time.perf_counter()
            raw_upload(port, f"raw/r{i}", data, digest)
            c1, t1 = cpu_seconds(pid), time.perf_counter()
            raw_get(port, f"raw/r{i}", digest, len(data))
            c2, t2 = cpu_seconds(pid), time.perf_counter()
            if i:
                times[name][0].append(t1 - t0)
                times[name][1].append(t2 - t1)
                cpu[name][0] += c1 - c0
                cpu[name][1] += c2 - c1
    size_mb = mb * 1.048576
    gb = runs * size_mb / 1000
    print(f"raw HTTP, {mb} MiB blob, {runs} runs each side, medians; server CPU seconds per GB")
    rates = {}
    for name, (up, get) in times.items():
        rates[name] = (size_mb / statistics.median(up), size_mb / statistics.median(get))
        print(f"  {name:13s} upload {rates[name][0]:7.1f} MB/s   GET {rates[name][1]:7.1f} MB/s"
              f"   CPU s/GB: upload {cpu[name][0] / gb:.2f}  GET {cpu[name][1] / gb:.2f}")
    print(f"  ratio gureum/distribution: upload {rates['gureum'][0] / rates['distribution'][0]:.2f}x   "
          f"GET {rates['gureum'][1] / rates['distribution'][1]:.2f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=64, help="random payload in the image (MB)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    missing = tools_missing("skopeo", "umoci", "docker-registry")
    if missing:
        print(f"SKIPPED: missing {missing} (Debian: skopeo umoci busybox-static docker-registry)")
        return 0
    work = Path(tempfile.mkdtemp(prefix="gureum-bench-registry-"))
    servers: list[Server] = []
    try:
        layouts = [build_busybox_image(work / f"img{i}", "v1", extra_bytes=args.mb * 1024 * 1024) for i in range(args.runs + 1)]
        size = image_bytes(layouts[0])
        g = start_gureum(work)
        servers.append(g)
        d = start_distribution(work)
        servers.append(d)
        sides = (("gureum", g.port), ("distribution", d.port))
        for _name, port in sides:  # warm-up (connections, page cache, lazy imports)
            measure(f"localhost:{port}", layouts[0], work, "warm")
        results: dict[str, tuple[list[float], list[float]]] = {"gureum": ([], []), "distribution": ([], [])}
        floor: list[float] = []
        for i in range(args.runs):
            for name, port in sides if i % 2 == 0 else sides[::-1]:
                p, q = measure(f"localhost:{port}", layouts[i + 1], work, f"r{i}")
                results[name][0].append(p)
                results[name][1].append(q)
            floor.append(local_copy(layouts[i + 1], work))
        mb = size / 1e6
        print(f"image: {mb:.1f} MB (manifest + config + layers); {args.runs} runs each side, medians")
        rates = {}
        for name, (p, q) in results.items():
            rates[name] = (mb / statistics.median(p), mb / statistics.median(q))
            print(f"  {name:13s} push {rates[name][0]:7.1f} MB/s   pull {rates[name][1]:7.1f} MB/s"
                  f"   (push s: {', '.join(f'{x:.2f}' for x in p)}; pull s: {', '.join(f'{x:.2f}' for x in q)})")
        print(f"  ratio gureum/distribution: push {rates['gureum'][0] / rates['distribution'][0]:.2f}x   "
              f"pull {rates['gureum'][1] / rates['distribution'][1]:.2f}x")
        local = statistics.median(floor)
        print(f"  skopeo alone (oci: layout to oci: layout, no server): {mb / local:7.1f} MB/s, {local:.2f} s"
              f" ({', '.join(f'{x:.2f}' for x in floor)}): a copy through any registry takes longer")
        raw_part({"gureum": (g.port, g.process.pid), "distribution": (d.port, d.process.pid)}, args.mb, args.runs)
        return 0
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
