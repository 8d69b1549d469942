"""The ALB's cost as a proxy, same run: requests/s and p50 latency of one HTTP target (nginx
answering a small static body) loaded directly, through a gureum Application Load Balancer
(ip target group, one forward rule), and through nginx as a reverse proxy to the same target.

    python bench/elb/run.py [--seconds 10] [--connections 32] [--threads 2] [--profile FILE]
                            [--native-workers N]

The same wrk options for all three. The target and the proxy are two nginx processes (so the
proxy's worker does not also serve the target), the proxy with one worker process (as gureum
serves a listener from one process) and keep-alive connections to the target (as gureum's
pool). Besides requests/s, each proxy's CPU time per request (user + system, read from
/proc; gureum's with its child processes, the native ALB worker among them) is printed: on a
loaded machine it is the steadier figure, as is the load average printed first.
`--native-workers` sets `elbv2.native_workers` (default: gureum's own default, the native
worker; 0: the listener is served by Python alone, the path before the native worker). `--profile` records gureum
with py-spy (raw format, 1000 Hz) during the ALB's run.

Needs Debian's nginx and wrk (scripts/debian-packages.txt). Prints each side's requests/s and
p50, and the ratios ALB/direct and ALB/nginx-proxy (the issue's goal: >= 0.5x nginx's)."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from harness import GureumProcess  # noqa: E402

from bench.common import free_port  # noqa: E402

TARGET_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/target.pid;
error_log {tmp}/target-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  server {{ listen 127.0.0.1:{target}; location / {{ return 200 "hello from the target\\n"; }} }}
}}
"""
PROXY_CONF = """
worker_processes {workers};
daemon off;
pid {tmp}/proxy.pid;
error_log {tmp}/proxy-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  upstream target {{ server 127.0.0.1:{target}; keepalive 64; }}
  server {{ listen 127.0.0.1:{proxy}; location / {{ proxy_pass http://target; proxy_http_version 1.1;
    proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }} }}
}}
"""
GUREUM_WORKERS = 1  # processes serving one ALB listener


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds the processes (all their threads) used so far."""
    import os

    user = system = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
        system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    return user, system


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(c) for c in text]
    return out


def wrk(url: str, seconds: int, connections: int, threads: int) -> tuple[float, float]:
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    m = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    assert m is not None, out
    p50 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return rps, p50


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--profile", type=Path, default=None,
                   help="record gureum with py-spy (raw, 1000 Hz) during the ALB run into this file")
    p.add_argument("--native-workers", type=int, default=None,
                   help="elbv2.native_workers for gureum (0: Python serves the listener)")
    args = p.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None and not Path("/usr/sbin/nginx").exists():
            sys.exit(f"{tool} is needed (scripts/debian-packages.txt)")
    with tempfile.TemporaryDirectory() as tmp:
        target, proxy = free_port(), free_port()
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        (Path(tmp) / "target.conf").write_text(TARGET_CONF.format(tmp=tmp, target=target))
        (Path(tmp) / "proxy.conf").write_text(PROXY_CONF.format(tmp=tmp, target=target, proxy=proxy,
                                                               workers=GUREUM_WORKERS))
        nginx = subprocess.Popen([nginx_bin, "-c", str(Path(tmp) / "target.conf")])
        nginx_proxy = subprocess.Popen([nginx_bin, "-c", str(Path(tmp) / "proxy.conf")])
        env = {} if args.native_workers is None else {"GUREUM_ELBV2_NATIVE_WORKERS": str(args.native_workers)}
        g = GureumProcess(Path(tmp) / "gureum", env=env)
        g.start()
        try:
            elb = g.client("elbv2")
            lb = elb.create_load_balancer(Name="bench", Subnets=["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"])["LoadBalancers"][0]
            tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=target, VpcId="vpc-0123456789abcdef0",
                                         TargetType="ip")["TargetGroups"][0]
            elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": target}])
            elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
            import dns.message
            import dns.query

            deadline = time.monotonic() + 30
            address = None
            while address is None:
                r = dns.query.udp(dns.message.make_query(lb["DNSName"], "A"), "127.0.0.1", port=g.dns_port, timeout=5)
                address = next((str(rr[0]) for rr in r.answer), None)
                if address is None:
                    assert time.monotonic() < deadline, "the load balancer's name never resolved"
                    time.sleep(0.2)
            while elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] != "active":
                assert time.monotonic() < deadline, "the load balancer never became active"
                time.sleep(0.2)
            sides = {"direct": f"http://127.0.0.1:{target}/", "nginx proxy": f"http://127.0.0.1:{proxy}/",
                     "gureum ALB": f"http://{address}:80/"}
            assert g.proc is not None
            proxies = {"nginx proxy": lambda: [nginx_proxy.pid, *children(nginx_proxy.pid)],
                       "gureum ALB": lambda: [g.proc.pid, *children(g.proc.pid)]}  # type: ignore[union-attr]
            results = {}
            cpu: dict[str, tuple[float, float]] = {}
            quiet = cpu_seconds(proxies["gureum ALB"]())
            time.sleep(3)  # gureum's own background work (health checks, reconciles), subtracted below
            idle = [(b - a) / 3 for a, b in zip(quiet, cpu_seconds(proxies["gureum ALB"]()), strict=True)]
            print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}   "
                  f"native workers: {'default' if args.native_workers is None else args.native_workers}")
            print(f"gureum idle: user {idle[0] * 100:.1f}% system {idle[1] * 100:.1f}% of a core")
            for name, url in sides.items():
                wrk(url, 2, args.connections, args.threads)  # warm up
                spy = None
                if args.profile is not None and name == "gureum ALB":
                    assert g.proc is not None
                    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(g.proc.pid),
                                            "-r", "1000", "--nonblocking", "-f", "raw", "-d", str(args.seconds), "-o", str(args.profile)],
                                           stdout=subprocess.DEVNULL)
                pids = proxies[name]() if name in proxies else []
                before = cpu_seconds(pids)
                results[name] = wrk(url, args.seconds, args.connections, args.threads)
                if pids:
                    after, n = cpu_seconds(pids), results[name][0] * args.seconds
                    base = idle if name == "gureum ALB" else [0.0, 0.0]
                    cpu[name] = ((after[0] - before[0] - base[0] * args.seconds) / n * 1e6,
                                 (after[1] - before[1] - base[1] * args.seconds) / n * 1e6)
                if spy is not None:
                    spy.wait(60)
            for name, (rps, p50) in results.items():
                per = (f"   CPU {sum(cpu[name]):6.1f} us/request (user {cpu[name][0]:.1f}, system {cpu[name][1]:.1f})"
                       if name in cpu else "")
                print(f"{name:12s} {rps:10.0f} req/s   p50 {p50:7.2f} ms{per}")
            alb, direct, ngx = results["gureum ALB"][0], results["direct"][0], results["nginx proxy"][0]
            print(f"ALB/direct {alb / direct:.2f}x   ALB/nginx-proxy {alb / ngx:.2f}x   "
                  f"nginx/ALB CPU per request {sum(cpu['nginx proxy']) / sum(cpu['gureum ALB']):.2f}x   "
                  f"({args.connections} connections, {args.threads} wrk threads, {args.seconds} s each)")
        finally:
            g.stop()
            for proc in (nginx, nginx_proxy):
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    main()
