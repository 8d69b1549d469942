"""Scale benchmarks (issue 28), each against a reference started in the same run, printed as ratios.

    python bench/scale/run.py [dns|functions|ecs|concurrency ...] [options]

  dns          10k hosted zones × 100 records (store bulk load): start-up, RSS, dnsperf qps
               vs a 1-zone gureum (--zones, --records, --runs, --seconds)
  functions    1k functions: ListFunctions (full paging) and Invoke p50 vs 1 function (--functions)
  ecs          100 concurrent RunTask on this machine: RUNNING p50/p99 vs runc starting the same
               bundle 100 times concurrently (--tasks)
  concurrency  1k concurrent invocations over 50 functions with reserved concurrency and the
               account limit: throttles must match the limits exactly; invocations/s, p50/p99
               (--invocations, --functions-c)

With no sub-command every one runs at the sizes of the issue. Each starts its own gureum on a
temporary data dir (removed at the end), loopback only.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import burst  # noqa: E402
import functions  # noqa: E402
import tasks  # noqa: E402
import zones  # noqa: E402

# (module names that shadow no library: dnspython is `dns`, the tests' helpers `ecs`)
WORKLOADS = {"dns": zones, "functions": functions, "ecs": tasks, "concurrency": burst}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="*", help="which (default: all)")
    for mod in WORKLOADS.values():
        mod.add_arguments(ap)
    args = ap.parse_args()
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        ap.error(f"unknown workload(s) {sorted(unknown)}; choose from {list(WORKLOADS)}")
    failed = 0
    for name in args.workloads or list(WORKLOADS):
        print(f"== scale: {name}", flush=True)
        work = Path(tempfile.mkdtemp(prefix=f"gureum-bench-scale-{name}-"))
        try:
            WORKLOADS[name].run(work, args)
        except SystemExit as e:  # a missing tool: say so, run the others
            print(e, file=sys.stderr)
            failed += 1
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
