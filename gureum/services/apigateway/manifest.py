"""API Gateway REST APIs' declaration for the registry (see gureum/services/manifest.py).
execute-api's front door (the Host route and /_aws/execute-api/) is shared with
apigatewayv2's HTTP and WebSocket APIs: these handlers answer None for an id that is not a
REST API, and the request passes on."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

EXECUTE_API_HOST = r"(?P<api>[a-z0-9]{10})\.execute-api(?:\.[a-z0-9-]+)?\.(?:localhost|amazonaws\.com)(?::\d+)?"
# Custom domain names: any dotted host name (asked after execute-api's; None unless it is one).
CUSTOM_DOMAIN_HOST = r"(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63})(?::\d+)?"

MANIFEST = Manifest(
    package="apigateway",
    services=("apigateway",),
    api_modules={"apigateway": ("gureum.services.apigateway.api", "gureum.services.apigateway.api_definitions",
                                "gureum.services.apigateway.api_extras", "gureum.services.apigateway.vpclinks_api")},
    validation_errors={"apigateway": "BadRequestException"},
    routing={"apigateway": Routing(rest=True)},
    host_routes={EXECUTE_API_HOST: "gureum.services.apigateway.gateway:handle_host",
                 CUSTOM_DOMAIN_HOST: "gureum.services.apigateway.gateway:handle_domain"},
    edge_routes={"/_aws/execute-api/": "gureum.services.apigateway.gateway:handle_path"},
    reset="gureum.services.apigateway.reset:reset",
    model_patches={"apigateway": "gureum.services.apigateway.model_patches:PATCHES"},
    denials={"apigateway": Denial("AccessDeniedException")},
    # custom domain names' regional/edge names and Route 53 aliases to them in gureum's DNS
    components=(Component("apigateway-dns", "gureum.services.apigateway.dns_names:run", ("apigateway",),
                          idle=Idle(("apigw_domains",), also=("apigatewayv2",))),
                # stage cache clusters billed by the hour (cache_cluster.py)
                Component("apigateway-cache-meter", "gureum.services.apigateway.cache_meter:run", ("apigateway",),
                          idle=Idle(("apigw_stages",))),
                # custom domain names over HTTPS with their ACM certificates, and mutual TLS
                Component("apigateway-https", "gureum.services.apigateway.https_domains:run", ("apigateway",),
                          idle=Idle(("apigw_domains",), also=("apigatewayv2",), start_if="apigateway.https_port"))),
    settings="gureum.services.apigateway.settings:ApiGatewaySettings",
)
