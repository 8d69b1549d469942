"""Lambda's declaration for the registry (see gureum/services/manifest.py). Input that
fails the model answers `ValidationException`, the default."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="lambda_",
    services=("lambda",),
    api_modules={"lambda": ("gureum.services.lambda_.api", "gureum.services.lambda_.esm", "gureum.services.lambda_.provisioned",
                          "gureum.services.lambda_.streaming", "gureum.services.lambda_.code_signing",
                          "gureum.services.lambda_.recursion", "gureum.services.lambda_.layer_policy",
                          "gureum.services.lambda_.function_policy", "gureum.services.lambda_.runtime_management",
                          "gureum.services.lambda_.capacity_providers", "gureum.services.lambda_.durable_api")},
    components=(
        Component("lambda", "gureum.services.lambda_.engine:run", ("lambda",),
                  idle=Idle(("lambda.functions",), start_if="lambda.prewarm")),  # scheduler, event queue, URLs
        Component("lambda-esm", "gureum.services.lambda_.esm_poller:run", ("lambda",), idle=Idle(("lambda.esm",))),  # SQS event sources
    ),
    edge_routes={
        "/_gureum/lambda/code/": "gureum.services.lambda_.code_urls:handle",  # GetFunction's Code.Location
        "/_aws/lambda-url/": "gureum.services.lambda_.urls:handle_path",  # function URLs in path form
    },
    routing={"lambda": Routing(rest=True)},
    model_patches={"lambda": "gureum.services.lambda_.model_patches:PATCHES"},
    ports={"functions": "gureum.services.lambda_.port:Functions"},
    settings="gureum.services.lambda_.settings:LambdaSettings",
    reset="gureum.services.lambda_.reset:reset",
    denials={"lambda": Denial("AccessDeniedException")},
    status="gureum.services.lambda_.node_status:status",
    handover="gureum.services.lambda_.node_status:handover",
)
