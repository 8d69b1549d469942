// AWS Signature Version 4 in the browser, with SubtleCrypto (HMAC-SHA256, SHA-256).
// sign() returns the headers to send (the host header is signed but set by the browser).

const enc = new TextEncoder();

function hex(buf) {
  return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256(data) {
  return hex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? enc.encode(data) : data));
}

async function hmac(key, msg) {
  const raw = typeof key === "string" ? enc.encode(key) : key;
  const k = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(msg));
}

// RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 wants.
export function uriEncode(s) {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export function amzDate(now) {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

// req: {method, path (already encoded), query: [[k, v]...], headers: {}, body: string,
//       service (signing name), region, creds: {key, secret, token}}
export async function sign(req, now = new Date()) {
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  const bodyHash = await sha256(req.body || "");
  const headers = { ...req.headers, "x-amz-date": stamp, "x-amz-content-sha256": bodyHash };
  if (req.creds.token) headers["x-amz-security-token"] = req.creds.token;
  const all = { host: location.host };
  for (const [k, v] of Object.entries(headers)) all[k.toLowerCase()] = String(v).trim().replace(/\s+/g, " ");
  const names = Object.keys(all).sort();
  const canonicalHeaders = names.map((n) => `${n}:${all[n]}\n`).join("");
  const signedHeaders = names.join(";");
  // Not S3: each segment of the (encoded) path is encoded once more.
  const path = req.path.split("/").map((seg) => uriEncode(seg)).join("/");
  const query = (req.query || [])
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [req.method, path, query, canonicalHeaders, signedHeaders, bodyHash].join("\n");
  const scope = `${day}/${req.region}/${req.service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256(canonical)].join("\n");
  let key = await hmac("AWS4" + req.creds.secret, day);
  key = await hmac(key, req.region);
  key = await hmac(key, req.service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));
  headers["authorization"] =
    `AWS4-HMAC-SHA256 Credential=${req.creds.key}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
