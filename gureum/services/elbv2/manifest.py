"""ELBv2's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="elbv2",
    services=("elbv2",),
    api_modules={"elbv2": ("gureum.services.elbv2.api",)},
    # binds every load balancer's listeners on its own loopback address and proxies; probes targets
    components=(Component("elbv2", "gureum.services.elbv2.dataplane:run", ("elbv2",), idle=Idle(("elbv2_lbs",))),),
    validation_errors={"elbv2": "ValidationError"},
    routing={"elbv2": Routing(signing_name="elasticloadbalancing", query_version="2015-12-01")},
    settings="gureum.services.elbv2.settings:Elbv2Settings",
    reset="gureum.services.elbv2.reset:reset",
    # the authenticate actions' x-amzn-oidc-data signing keys, at AWS's URL (auth_keys.py)
    host_routes={r"public-keys\.auth\.elb\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?::\d+)?": "gureum.services.elbv2.auth_keys:handle"},
)
