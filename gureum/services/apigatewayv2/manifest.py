"""API Gateway v2's declaration for the registry (see gureum/services/manifest.py).

The execute-api front door is shared with REST APIs (package `apigateway`, asked first:
it answers None for ids that are not REST APIs); this package answers every other id,
unknown ones included."""

from gureum.services.apigateway.manifest import CUSTOM_DOMAIN_HOST
from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

_EXECUTE_API_HOST = r"(?P<api>[a-z0-9]{10})\.execute-api(?:\.[a-z0-9-]+)?\.(?:localhost|amazonaws\.com)(?::\d+)?"

MANIFEST = Manifest(
    package="apigatewayv2",
    services=("apigatewayv2", "apigatewaymanagementapi"),
    api_modules={"apigatewayv2": ("gureum.services.apigatewayv2.api", "gureum.services.apigatewayv2.api_models",
                                  "gureum.services.apigatewayv2.domains_api", "gureum.services.apigatewayv2.vpclinks_api"),
                 "apigatewaymanagementapi": ("gureum.services.apigatewayv2.management",)},
    components=(Component("apigatewayv2", "gureum.services.apigatewayv2.component:run", ("apigatewayv2",),
                          idle=Idle(("apigwv2_apis", "apigwv2_connections"))),),
    host_routes={_EXECUTE_API_HOST: "gureum.services.apigatewayv2.invoke:handle_host",
                 # custom domain names' mappings to HTTP APIs (apigateway's handler, asked first, serves REST APIs')
                 CUSTOM_DOMAIN_HOST: "gureum.services.apigatewayv2.domain_invoke:handle_domain"},
    edge_routes={"/_aws/execute-api/": "gureum.services.apigatewayv2.invoke:handle_path"},
    validation_errors={"apigatewayv2": "BadRequestException"},
    # REST APIs (v1, gureum/services/apigateway/) sign with the same name; their paths are told apart by URI
    routing={"apigatewayv2": Routing(signing_name="apigateway", rest=True),
             # reached only through the execute-api front door (websocket.py), signed as execute-api
             "apigatewaymanagementapi": Routing(signing_name="execute-api", rest=True)},
    settings="gureum.services.apigatewayv2.settings:ApiGatewayV2Settings",
    reset="gureum.services.apigatewayv2.reset:reset",
    status="gureum.services.apigatewayv2.node_status:status",
    handover="gureum.services.apigatewayv2.node_status:handover",
    denials={"apigatewayv2": Denial("AccessDeniedException"),
             "apigatewaymanagementapi": Denial("ForbiddenException")},
)
