"""CORS for HTTP APIs, sans-IO, from the API's CorsConfiguration (AllowOrigins, AllowMethods,
AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials) as AWS applies it: a preflight
(OPTIONS with Origin and Access-Control-Request-Method) is answered 204 by the gateway itself,
whatever the routes; other responses to an allowed Origin carry Access-Control-Allow-Origin
(and Expose-Headers, Allow-Credentials), and any CORS headers the integration sent are
replaced. An origin that is not allowed gets no CORS headers."""

from __future__ import annotations

from typing import Any

from gureum.http.server import Request, Response

_CORS_PREFIX = "access-control-"


def is_preflight(request: Request) -> bool:
    return (request.method == "OPTIONS" and request.headers.get("origin") is not None
            and request.headers.get("access-control-request-method") is not None)


def _allowed_origin(config: dict[str, Any], origin: str | None) -> str | None:
    if origin is None:
        return None
    origins = [o.rstrip("/") for o in config.get("AllowOrigins") or []]
    if "*" in origins:
        return "*"
    return origin if origin.rstrip("/").lower() in [o.lower() for o in origins] else None


def preflight(config: dict[str, Any], request: Request, rid: str) -> Response:
    headers: list[tuple[str, str]] = [("apigw-requestid", rid)]
    origin = _allowed_origin(config, request.headers.get("origin"))
    method = (request.headers.get("access-control-request-method") or "").upper()
    methods = [m.upper() for m in config.get("AllowMethods") or []]
    wanted = [h.strip().lower() for h in (request.headers.get("access-control-request-headers") or "").split(",") if h.strip()]
    allowed_headers = [h.lower() for h in config.get("AllowHeaders") or []]
    if (origin is not None and ("*" in methods or method in methods)
            and ("*" in allowed_headers or all(h in allowed_headers for h in wanted))):
        headers.append(("access-control-allow-origin", origin))
        headers.append(("access-control-allow-methods", ",".join(config.get("AllowMethods") or [])))
        if config.get("AllowHeaders"):
            headers.append(("access-control-allow-headers", ",".join(config["AllowHeaders"])))
        if config.get("MaxAge") is not None and int(config["MaxAge"]) >= 0:
            headers.append(("access-control-max-age", str(config["MaxAge"])))
        if config.get("AllowCredentials"):
            headers.append(("access-control-allow-credentials", "true"))
    return Response(204, headers, b"")


def decorate(config: dict[str, Any] | None, request: Request, response: Response) -> Response:
    """`response` with the CORS headers `config` gives the request's Origin."""
    if not config:
        return response
    response.headers = [(k, v) for k, v in response.headers if not k.lower().startswith(_CORS_PREFIX)]
    origin = _allowed_origin(config, request.headers.get("origin"))
    if origin is None:
        return response
    response.headers.append(("access-control-allow-origin", origin))
    if config.get("ExposeHeaders"):
        response.headers.append(("access-control-expose-headers", ",".join(config["ExposeHeaders"])))
    if config.get("AllowCredentials"):
        response.headers.append(("access-control-allow-credentials", "true"))
    return response
