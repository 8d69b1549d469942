"""CloudFormation's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="cloudformation",
    services=("cloudformation",),
    api_modules={"cloudformation": ("gureum.services.cloudformation.api", "gureum.services.cloudformation.api_changes",
                                       "gureum.services.cloudformation.api_drift")},
    # the stack operations this node was running when it stopped: resumed or failed cleanly
    components=(Component("cloudformation", "gureum.services.cloudformation.engine:resume", ("cloudformation",), idle=Idle(("cfn_stacks",))),),
    # custom resources' ResponseURL (responses.py)
    edge_routes={"/_gureum/cloudformation/": "gureum.services.cloudformation.responses:handle"},
    validation_errors={"cloudformation": "ValidationError"},
    routing={"cloudformation": Routing(query_version="2010-05-15")},
    reset="gureum.services.cloudformation.reset:reset",
    settings="gureum.services.cloudformation.settings:CloudFormationSettings",
)
