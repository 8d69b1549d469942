"""The cost of strict-mode signature checks on a large S3 upload: boto3 PutObject of a
64 MiB object (signed x-amz-content-sha256, so strict mode hashes every byte as it streams)
against `gureum up --auth open` and `--auth strict`, both started here, in the same run.

    python bench/sigv4/run.py [--mb 64] [--runs 5]

Prints the median seconds per PutObject on each side, the strict/open ratio, and each
server's peak resident memory (VmHWM) after the uploads: strict must stay near open (the
body is hashed as it streams, never held whole).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from harness import GureumProcess  # noqa: E402


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    payload = os.urandom(args.mb << 20)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sides = {mode: GureumProcess(work / mode, ["--auth", mode, "--log-level", "warning"]) for mode in ("open", "strict")}
        try:
            clients = {}
            for mode, proc in sides.items():
                proc.start()
                clients[mode] = proc.client("s3")
                clients[mode].create_bucket(Bucket="bench")
                clients[mode].put_object(Bucket="bench", Key="warm", Body=b"x")
            times: dict[str, list[float]] = {"open": [], "strict": []}
            for i in range(args.runs):
                # Interleaved, alternating who goes first: both sides see the same machine load.
                for mode in ("open", "strict") if i % 2 == 0 else ("strict", "open"):
                    started = time.perf_counter()
                    clients[mode].put_object(Bucket="bench", Key=f"obj{i}", Body=payload)
                    times[mode].append(time.perf_counter() - started)
            rss = {}
            for mode, proc in sides.items():
                assert clients[mode].head_object(Bucket="bench", Key="obj0")["ContentLength"] == len(payload)
                assert proc.proc is not None
                rss[mode] = peak_rss_mib(proc.proc.pid)
        finally:
            for proc in sides.values():
                proc.stop()
    med = {mode: statistics.median(t) for mode, t in times.items()}
    print(f"PutObject {args.mb} MiB, median of {args.runs} (interleaved):")
    for mode in ("open", "strict"):
        print(f"  {mode:6}  {med[mode]:.3f} s  ({args.mb / med[mode]:.0f} MiB/s)  peak RSS {rss[mode]:.0f} MiB")
    print(f"  strict/open time: {med['strict'] / med['open']:.2f}  ({(med['strict'] - med['open']) * 1000:+.0f} ms per request)")


if __name__ == "__main__":
    main()
