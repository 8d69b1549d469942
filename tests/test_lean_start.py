"""What an idle node holds (issue 28, "a leaner node"): importing every component a node starts
and the edge routes every request passes ("/", the registry's "/v2/", and "/_gureum/", which
health checks pass) loads none of the heavy
modules that only some requests need: cryptography and dnspython's DNSSEC (signed zones,
sealed secrets, SNS signatures), JOSE and OTP (Cognito sign-ins), websockets (API Gateway
WebSocket APIs), aiosmtpd and SES's receiving pipeline (mail arriving). Each is imported on
first use. Checked in a fresh interpreter, as `gureum up` imports them."""

from __future__ import annotations

import json
import subprocess
import sys

from harness import ROOT

HEAVY = ("cryptography", "dns.dnssec", "joserfc", "pyotp", "websockets", "aiosmtpd", "gureum.services.ses.inbound")

_PROBE = f"""
import importlib, json, sys
from gureum.services import registry
for entry, _ in registry.COMPONENTS.values():
    importlib.import_module(entry.split(":")[0])
for prefix in ("/", "/v2/", "/_gureum/"):
    for entry in registry.EDGE_ROUTES.get(prefix, ()):
        registry.load_entry(entry)
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def test_components_and_the_common_edge_routes_load_no_heavy_library() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
