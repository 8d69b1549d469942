"""Cognito sign-in rate and latency: InitiateAuth (USER_PASSWORD_AUTH) per second and p50
against gureum's floor (STS GetCallerIdentity p50 on the same connection), and against
moto's server (which also answers cognito-idp), in the same run.

    python bench/identity/run.py [--calls 100] [--skip-moto]

Per server, one client, sequential calls: the floor p50, InitiateAuth p50 and calls/s,
GetUser p50 (an access token checked: signature, expiry, session). gureum checks each
password against a salted scrypt hash (N=2^14, r=8: tens of milliseconds of CPU by design),
which dominates its InitiateAuth; moto compares plaintext. Loopback only; the servers are
started and stopped here.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Passw0rd!bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not start") from None
            time.sleep(0.05)


def start_gureum() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()),
           "--data-dir", tempfile.mkdtemp(prefix="gureum-identity-bench-"), "--set", "ecs.enabled=0"]
    proc = subprocess.Popen(cmd, env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(proc, url + "/_gureum/health")
    return proc, url


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    exe = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen([str(exe), "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_up(proc, url + "/moto-api/")
    return proc, url


def client(url: str, service: str, unsigned: bool = False) -> Any:
    config = Config(retries={"max_attempts": 0}, **({"signature_version": UNSIGNED} if unsigned else {}))
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=config)


def p50(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    times = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    return statistics.median(times) * 1000, n / total


def bench(url: str, calls: int) -> dict[str, float]:
    idp = client(url, "cognito-idp")
    public = client(url, "cognito-idp", unsigned=True)
    sts = client(url, "sts")
    pool = idp.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    cid = idp.create_user_pool_client(UserPoolId=pool, ClientName="bench",
                                      ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="bench", MessageAction="SUPPRESS")
    idp.admin_set_user_password(UserPoolId=pool, Username="bench", Password=PASSWORD, Permanent=True)
    params = {"ClientId": cid, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "bench", "PASSWORD": PASSWORD}}
    token = ""
    for _ in range(10):  # warm-up
        sts.get_caller_identity()
        token = public.initiate_auth(**params)["AuthenticationResult"]["AccessToken"]
    out: dict[str, float] = {}
    out["floor p50"], _ = p50(lambda i: sts.get_caller_identity(), calls)
    out["InitiateAuth p50"], out["InitiateAuth/s"] = p50(lambda i: public.initiate_auth(**params), calls)
    out["GetUser p50"], out["GetUser/s"] = p50(lambda i: public.get_user(AccessToken=token), calls)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--skip-moto", action="store_true")
    args = ap.parse_args()
    servers = {"gureum": start_gureum}
    if not args.skip_moto:
        servers["moto_server"] = start_moto
    results: dict[str, dict[str, float]] = {}
    for name, starter in servers.items():
        proc, url = starter()
        try:
            results[name] = bench(url, args.calls)
        finally:
            proc.terminate()
            proc.wait(60)
    keys = list(results["gureum"])
    print(f"{'':20}" + "".join(f"{n:>14}" for n in results))
    for k in keys:
        print(f"{k:20}" + "".join(f"{results[n].get(k, float('nan')):14.2f}" for n in results))
    g = results["gureum"]
    print(f"gureum InitiateAuth/floor {g['InitiateAuth p50'] / g['floor p50']:.1f}x  GetUser/floor {g['GetUser p50'] / g['floor p50']:.1f}x")


if __name__ == "__main__":
    main()
