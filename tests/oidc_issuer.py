"""A test identity provider: signing keys (RSA and EC), tokens minted with them, and the
public key set served over HTTP on loopback (or written to a file), as an OIDC issuer's
jwks_uri would serve it."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey


def b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


class Issuer:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"})
        self.published: list[Key] = [self.rsa, self.ec]
        self.fetches: list[str] = []  # paths requested from serve()

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.as_dict(private=False) for k in self.published]}

    def claims(self, **over: Any) -> dict[str, Any]:
        now = int(time.time())
        base = {"iss": self.issuer, "sub": "system:serviceaccount:default:app", "aud": "sts.amazonaws.com",
                "iat": now, "exp": now + 600}
        base.update(over)
        return {k: v for k, v in base.items() if v is not None}

    def token(self, key: Key | None = None, alg: str = "RS256", kid: str | None = None, **claims: Any) -> str:
        key = key or (self.ec if alg.startswith("ES") else self.rsa)
        header = {"alg": alg, "typ": "JWT", "kid": kid or key.kid}
        return jwt.encode(header, self.claims(**claims), key)

    def unsigned(self, **claims: Any) -> str:
        return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(self.claims(**claims))}."

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()))
        return path

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve the key set at http://127.0.0.1:<port>/jwks (and discovery) while in the block."""
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                issuer.fetches.append(self.path)
                host = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/jwks":
                    body = json.dumps(issuer.jwks()).encode()
                elif self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": host, "jwks_uri": f"{host}/jwks"}).encode()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
