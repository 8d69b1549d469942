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
import sys
from collections.abc import Callable
from pathlib import Path

from botocore import UNSIGNED

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Gureum, Server, client, measure_each, moto_server, p50_rate  # noqa: E402

PASSWORD = "Passw0rd!bench"


def gureum() -> Gureum:
    return Gureum(prefix="gureum-identity-bench-", settings=["ecs.enabled=0"])


def bench(url: str, calls: int) -> dict[str, float]:
    idp = client(url, "cognito-idp")
    public = client(url, "cognito-idp", signature_version=UNSIGNED)
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
    out["floor p50"], _ = p50_rate(lambda i: sts.get_caller_identity(), calls)
    out["InitiateAuth p50"], out["InitiateAuth/s"] = p50_rate(lambda i: public.initiate_auth(**params), calls)
    out["GetUser p50"], out["GetUser/s"] = p50_rate(lambda i: public.get_user(AccessToken=token), calls)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100)
    ap.add_argument("--skip-moto", action="store_true")
    args = ap.parse_args()
    servers: dict[str, Callable[[], Server | None]] = {"gureum": gureum}
    if not args.skip_moto:
        servers["moto_server"] = moto_server
    results = measure_each(servers, lambda name, server: bench(server.endpoint, args.calls))
    keys = list(results["gureum"])
    print(f"{'':20}" + "".join(f"{n:>14}" for n in results))
    for k in keys:
        print(f"{k:20}" + "".join(f"{results[n].get(k, float('nan')):14.2f}" for n in results))
    g = results["gureum"]
    print(f"gureum InitiateAuth/floor {g['InitiateAuth p50'] / g['floor p50']:.1f}x  GetUser/floor {g['GetUser p50'] / g['floor p50']:.1f}x")


if __name__ == "__main__":
    main()
