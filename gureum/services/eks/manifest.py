"""EKS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="eks",
    services=("eks",),
    api_modules={"eks": ("gureum.services.eks.api",)},
    components=(Component("eks-control-plane", "gureum.services.eks.control:run", ("eks",), idle=Idle(("eks_clusters",))),),
    edge_routes={"/_gureum/eks/": "gureum.services.eks.authn:handle"},  # the clusters' token authenticator
    validation_errors={"eks": "InvalidParameterException"},
    routing={"eks": Routing(rest=True)},
    reset="gureum.services.eks.reset:reset",
    denials={"eks": Denial("AccessDeniedException")},
)
