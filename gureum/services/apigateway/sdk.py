"""SDK generation for REST API stages: GetSdkTypes/GetSdkType (AWS's SDK types and their
configuration properties) and GetSdk's `javascript` SDK, generated from the stage's deployment.

The JavaScript SDK is a zip of `apiGateway-js-sdk/` with `apigClient.js` and `README.md`. As
AWS's, `apigClientFactory.newClient(config)` gives one function per method, named from the
resource path and verb (`/pets/{petId}` GET -> `petsPetIdGet`, `/` -> `rootGet`), called
`(params, body, additionalParams)`: `params` holds the path, query string and header
parameters by name, `additionalParams` extra `headers` and `queryParams`; the answer is a
promise of {status, statusText, headers, data} (rejected, with `.response`, for a status
outside 2XX). `config` takes `apiKey` (sent as x-api-key to methods that require a key),
`accessKey`/`secretKey`/`sessionToken`/`region` (AWS_IAM methods are signed with SigV4 for
execute-api), `invokeUrl`, `defaultContentType`, `defaultAcceptType`. Unlike AWS's, it has no
third-party libraries: fetch and Web Crypto (browsers, Node 18+). The invoke URL baked in is
the stage's on this gureum (the /_aws/execute-api/ path form: it needs no DNS).

Other SDK types are listed (GetSdkTypes) but not generated: GetSdk answers 501 for them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from gureum.services.apigateway.errors import bad_request, not_found

Doc = dict[str, Any]


def _prop(name: str, friendly: str, description: str, required: bool, default: str | None = None) -> Doc:
    out: Doc = {"name": name, "friendlyName": friendly, "description": description, "required": required}
    if default is not None:
        out["defaultValue"] = default
    return out


SDK_TYPES: dict[str, Doc] = {
    "android": {"id": "android", "friendlyName": "Android SDK", "description": "Android SDK", "configurationProperties": [
        _prop("groupId", "Group ID", "Group ID for Maven", True),
        _prop("invokerPackage", "Invoker package", "Package name for the generated classes", True),
        _prop("artifactId", "Artifact ID", "Artifact ID for Maven", True),
        _prop("artifactVersion", "Artifact version", "Artifact version for Maven", True, "1.0.0")]},
    "java": {"id": "java", "friendlyName": "Java SDK", "description": "Java SDK", "configurationProperties": [
        _prop("serviceName", "Service name", "Name of the generated service client", True),
        _prop("javaPackageName", "Java package name", "Package name for the generated classes", True),
        _prop("javaBuildSystem", "Build system", "maven or gradle", False, "maven"),
        _prop("javaGroupId", "Group ID", "Group ID for Maven or Gradle", False),
        _prop("javaArtifactId", "Artifact ID", "Artifact ID for Maven or Gradle", False),
        _prop("javaArtifactVersion", "Artifact version", "Artifact version for Maven or Gradle", False, "1.0.0")]},
    "javascript": {"id": "javascript", "friendlyName": "JavaScript", "description": "Javascript SDK",
                   "configurationProperties": []},
    "ios-objective-c": {"id": "ios-objective-c", "friendlyName": "iOS (Objective-C)", "description": "iOS Objective-C SDK",
                        "configurationProperties": [
                            _prop("classPrefix", "Prefix", "Prefix of the generated classes", False)]},
    "ios-swift": {"id": "ios-swift", "friendlyName": "iOS (Swift)", "description": "iOS Swift SDK",
                  "configurationProperties": [_prop("classPrefix", "Prefix", "Prefix of the generated classes", False)]},
    "ruby": {"id": "ruby", "friendlyName": "Ruby", "description": "Ruby SDK", "configurationProperties": [
        _prop("service.name", "Service name", "Name of the generated service client", True),
        _prop("ruby.gem-name", "Gem name", "Name of the gem", False),
        _prop("ruby.gem-version", "Gem version", "Version of the gem", False, "1.0.0")]},
}


def sdk_type(type_id: str) -> Doc:
    found = SDK_TYPES.get(type_id)
    if found is None:
        raise not_found(f"Invalid SDK type specified: {type_id}")
    return found


def method_name(path: str, verb: str) -> str:
    """AWS's JavaScript SDK name of a method: the path's words in camelCase, then the verb."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", path) if w]
    base = (words[0][0].lower() + words[0][1:] + "".join(w[0].upper() + w[1:] for w in words[1:])) if words else "root"
    return base + verb.capitalize()


def _operations(snapshot: Doc) -> list[Doc]:
    out = []
    for resource in sorted(snapshot["resources"], key=lambda r: r["path"]):
        for verb, method in sorted(resource["methods"].items()):
            params = method.get("requestParameters") or {}
            out.append({
                "name": method_name(resource["path"], verb),
                "verb": verb, "path": resource["path"],
                "pathParams": re.findall(r"\{([^}+]+)\+?\}", resource["path"]),
                "queryParams": sorted(k.rsplit(".", 1)[1] for k in params if k.startswith("method.request.querystring.")),
                "headerParams": sorted(k.split(".", 3)[3] for k in params if k.startswith("method.request.header.")),
                "authType": "AWS_IAM" if method.get("authorizationType") == "AWS_IAM" else "NONE",
                "apiKeyRequired": bool(method.get("apiKeyRequired")),
            })
    return out


_CLIENT = r"""/*
 * API Gateway JavaScript SDK for %(title)s, stage %(stage)s (generated by gureum).
 * Works in browsers and Node.js 18+ (fetch, Web Crypto); no other libraries.
 */
(function (root) {
  'use strict';
  var OPERATIONS = %(operations)s;
  var INVOKE_URL = %(invoke_url)s;

  function subtle() {
    if (typeof globalThis !== 'undefined' && globalThis.crypto && globalThis.crypto.subtle) return globalThis.crypto.subtle;
    return require('crypto').webcrypto.subtle;
  }
  function bytes(text) { return new TextEncoder().encode(text); }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function sha256(text) { return subtle().digest('SHA-256', bytes(text)).then(hex); }
  function hmac(key, text) {
    return subtle().importKey('raw', typeof key === 'string' ? bytes(key) : key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      .then(function (k) { return subtle().sign('HMAC', k, bytes(text)); })
      .then(function (sig) { return new Uint8Array(sig); });
  }
  function rfc3986(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) { return '%%' + c.charCodeAt(0).toString(16).toUpperCase(); });
  }

  // SigV4 for execute-api over the URL as sent: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
  function sign(config, verb, url, headers, body) {
    var now = new Date().toISOString().replace(/[:-]|\.\d{3}/g, '');
    var day = now.slice(0, 8);
    var region = config.region || 'us-east-1';
    var scope = day + '/' + region + '/execute-api/aws4_request';
    headers['x-amz-date'] = now;
    if (config.sessionToken) headers['x-amz-security-token'] = config.sessionToken;
    var signed = Object.assign({ host: url.host }, headers);
    var names = Object.keys(signed).map(function (n) { return n.toLowerCase(); }).sort();
    var lower = {};
    Object.keys(signed).forEach(function (n) { lower[n.toLowerCase()] = String(signed[n]).trim().replace(/\s+/g, ' '); });
    var canonicalPath = url.pathname.split('/').map(function (s) { return rfc3986(s); }).join('/') || '/';
    var query = [];
    url.searchParams.forEach(function (v, k) { query.push([rfc3986(k), rfc3986(v)]); });
    query.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0; });
    var canonicalQuery = query.map(function (p) { return p[0] + '=' + p[1]; }).join('&');
    return sha256(body || '').then(function (payloadHash) {
      var canonical = [verb, canonicalPath, canonicalQuery,
        names.map(function (n) { return n + ':' + lower[n] + '\n'; }).join(''), names.join(';'), payloadHash].join('\n');
      return sha256(canonical).then(function (requestHash) {
        var toSign = ['AWS4-HMAC-SHA256', now, scope, requestHash].join('\n');
        return hmac('AWS4' + config.secretKey, day)
          .then(function (k) { return hmac(k, region); })
          .then(function (k) { return hmac(k, 'execute-api'); })
          .then(function (k) { return hmac(k, 'aws4_request'); })
          .then(function (k) { return hmac(k, toSign); })
          .then(function (sig) {
            headers['Authorization'] = 'AWS4-HMAC-SHA256 Credential=' + config.accessKey + '/' + scope +
              ', SignedHeaders=' + names.join(';') + ', Signature=' + hex(sig);
            return headers;
          });
      });
    });
  }

  function request(config, op, params, body, additional) {
    params = params || {};
    additional = additional || {};
    var path = op.path.replace(/\{([^}+]+)\+?\}/g, function (m, name) {
      if (params[name] === undefined) throw new Error('Missing required path parameter: ' + name);
      return m.slice(-2) === '+}' ? String(params[name]).split('/').map(encodeURIComponent).join('/') : encodeURIComponent(params[name]);
    });
    var url = new URL((config.invokeUrl || INVOKE_URL).replace(/\/$/, '') + (path === '/' ? '/' : path));
    op.queryParams.forEach(function (n) { if (params[n] !== undefined) url.searchParams.append(n, params[n]); });
    Object.keys(additional.queryParams || {}).forEach(function (n) { url.searchParams.append(n, additional.queryParams[n]); });
    var headers = { 'Accept': config.defaultAcceptType };
    op.headerParams.forEach(function (n) { if (params[n] !== undefined) headers[n] = String(params[n]); });
    Object.assign(headers, additional.headers || {});
    var payload;
    if (body !== undefined && body !== null && op.verb !== 'GET' && op.verb !== 'HEAD') {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!Object.keys(headers).some(function (h) { return h.toLowerCase() === 'content-type'; })) {
        headers['Content-Type'] = config.defaultContentType;
      }
    }
    if (op.apiKeyRequired && config.apiKey !== undefined) headers['x-api-key'] = config.apiKey;
    var ready = op.authType === 'AWS_IAM' && config.accessKey ? sign(config, op.verb, url, headers, payload) : Promise.resolve(headers);
    return ready.then(function (h) {
      return fetch(url.toString(), { method: op.verb, headers: h, body: payload });
    }).then(function (res) {
      var out = { status: res.status, statusText: res.statusText, headers: {} };
      res.headers.forEach(function (v, k) { out.headers[k] = v; });
      return res.text().then(function (text) {
        var type = out.headers['content-type'] || '';
        try { out.data = type.indexOf('json') >= 0 && text ? JSON.parse(text) : text; } catch (e) { out.data = text; }
        if (res.status < 200 || res.status >= 300) {
          var error = new Error('Request failed with status code ' + res.status);
          error.response = out;
          throw error;
        }
        return out;
      });
    });
  }

  var apigClientFactory = {
    newClient: function (config) {
      config = Object.assign({ accessKey: '', secretKey: '', sessionToken: '', region: '', apiKey: undefined,
        defaultContentType: 'application/json', defaultAcceptType: 'application/json' }, config || {});
      var client = {};
      OPERATIONS.forEach(function (op) {
        client[op.name] = function (params, body, additionalParams) { return request(config, op, params, body, additionalParams); };
      });
      return client;
    }
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = apigClientFactory;
  root.apigClientFactory = apigClientFactory;
})(typeof globalThis !== 'undefined' ? globalThis : this);
"""

_README = """# %(title)s: JavaScript SDK (stage %(stage)s)

Browser: `<script src="apigClient.js"></script>`; Node.js 18+: `const apigClientFactory = require('./apigClient.js')`.

```js
var apigClient = apigClientFactory.newClient({ apiKey: 'KEY', accessKey: 'AK', secretKey: 'SK', region: '%(region)s' });
apigClient.%(example)s(params, body, additionalParams).then(function (result) { console.log(result.data); });
```

Methods:

%(methods)s
"""


def javascript(api: Doc, stage: str, snapshot: Doc, invoke_url: str, region: str) -> bytes:
    """The `javascript` SDK's zip."""
    operations = _operations(snapshot)
    if not operations:
        raise bad_request("The REST API doesn't contain any methods")
    title = str(api.get("name") or api["id"])
    client = _CLIENT % {"title": title.replace("*/", ""), "stage": stage, "operations": json.dumps(operations, indent=2),
                        "invoke_url": json.dumps(invoke_url)}
    readme = _README % {"title": title, "stage": stage, "region": region, "example": operations[0]["name"],
                        "methods": "\n".join(f"- `{o['name']}`: {o['verb']} {o['path']}" for o in operations)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("apiGateway-js-sdk/apigClient.js", client)
        zf.writestr("apiGateway-js-sdk/README.md", readme)
    return buffer.getvalue()
