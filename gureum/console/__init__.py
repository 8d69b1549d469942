"""The web console at /_gureum/console: hand-written static files (HTML, CSS, JavaScript
modules; no build step, nothing fetched from elsewhere) served from this package's `static/`
directory. The page talks to gureum only through its AWS APIs, signing each request with
SigV4 in the browser (static/sigv4.js, SubtleCrypto), and reads `GET /_gureum/health` to learn
whether the cloud runs `--auth strict` (then it asks for keys, kept in localStorage).

  /_gureum/console            index.html
  /_gureum/console/<file>     a file of static/ (a name, no directories), else 404
"""

from __future__ import annotations

from pathlib import Path

from gureum.http.server import Response

STATIC = Path(__file__).with_name("static")
PREFIX = "/_gureum/console"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".svg": "image/svg+xml"}
# Everything from this origin only: no CDN, no inline script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def serve(path: str) -> Response | None:
    """The response for a console path (None: not the console's)."""
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    name = path[len(PREFIX):].lstrip("/") or "index.html"
    file = STATIC / name
    if "/" in name or name.startswith(".") or file.suffix not in TYPES or not file.is_file():
        return Response(404, [("content-type", "text/plain; charset=utf-8")], b"no such console file\n")
    headers = [("content-type", TYPES[file.suffix]), ("cache-control", "no-cache"), ("content-security-policy", CSP),
               ("x-content-type-options", "nosniff")]
    return Response(200, headers, file.read_bytes())
