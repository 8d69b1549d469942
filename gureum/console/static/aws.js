// gureum's AWS APIs from the page: JSON (1.0/1.1), REST-JSON (Lambda) and REST-XML (Route 53)
// requests to this origin, signed with SigV4. Keys: localStorage "gureum.keys" ({key, secret,
// token}); on an open cloud any keys do ("test"). A refused signature raises AuthError.

import { sign } from "./sigv4.js";

const JSON_SERVICES = {
  sqs: { target: "AmazonSQS", version: "1.0", signing: "sqs" },
  ecs: { target: "AmazonEC2ContainerServiceV20141113", version: "1.1", signing: "ecs" },
  ecr: { target: "AmazonEC2ContainerRegistry_V20150921", version: "1.1", signing: "ecr" },
  logs: { target: "Logs_20140328", version: "1.1", signing: "logs" },
  ce: { target: "AWSInsightsIndexService", version: "1.1", signing: "ce" },
  cloudwatch: { target: "GraniteServiceVersion20100801", version: "1.0", signing: "monitoring" },
};
const AUTH_CODES = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
  "IncompleteSignature", "MissingAuthenticationToken", "InvalidSignatureException", "AccessDenied",
  "AccessDeniedException", "ExpiredToken", "ExpiredTokenException"]);

export class ApiError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.code = code;
    this.status = status;
  }
}
export class AuthError extends ApiError {}

export const state = { region: localStorage.getItem("gureum.region") || "us-east-1", calls: 0 };

export function keys() {
  try {
    const k = JSON.parse(localStorage.getItem("gureum.keys") || "null");
    if (k && k.key && k.secret) return k;
  } catch (e) {
    localStorage.removeItem("gureum.keys");
  }
  return null;
}

export function setKeys(k) {
  if (k) localStorage.setItem("gureum.keys", JSON.stringify(k));
  else localStorage.removeItem("gureum.keys");
}

async function send(method, path, query, headers, body, service, region) {
  const creds = keys() || { key: "test", secret: "test" };
  const signed = await sign({ method, path, query, headers, body, service, region, creds });
  const qs = query && query.length ? "?" + query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&") : "";
  state.calls += 1;
  return fetch(path + qs, { method, headers: signed, body: method === "GET" ? undefined : body, cache: "no-store" });
}

function fail(status, code, message) {
  const cls = AUTH_CODES.has(code) || status === 401 ? AuthError : ApiError;
  return new cls(code || `HTTP${status}`, message || "", status);
}

// A JSON-protocol call: json("sqs", "ListQueues", {...}).
export async function json(service, op, input = {}, region = state.region) {
  const s = JSON_SERVICES[service];
  const body = JSON.stringify(input);
  const headers = { "content-type": `application/x-amz-json-${s.version}`, "x-amz-target": `${s.target}.${op}` };
  const resp = await send("POST", "/", [], headers, body, s.signing, region);
  const text = await resp.text();
  const doc = text ? JSON.parse(text) : {};
  if (!resp.ok) {
    const code = String(doc.__type || doc.code || resp.headers.get("x-amzn-errortype") || "").split("#").pop().split(":")[0];
    throw fail(resp.status, code, doc.message || doc.Message);
  }
  return doc;
}

// Lambda's REST-JSON: rest("GET", "/2015-03-31/functions/").
export async function lambda(method, path, query = [], body = "") {
  const resp = await send(method, path, query, body ? { "content-type": "application/json" } : {}, body, "lambda", state.region);
  const text = await resp.text();
  const doc = text ? JSON.parse(text) : {};
  if (!resp.ok) {
    const code = (resp.headers.get("x-amzn-errortype") || doc.Type || doc.__type || "").split(":")[0];
    throw fail(resp.status, code, doc.Message || doc.message);
  }
  return doc;
}

// Route 53's REST-XML: an XML Document.
export async function route53(path, query = []) {
  const resp = await send("GET", path, query, {}, "", "route53", "us-east-1");
  const text = await resp.text();
  const doc = new DOMParser().parseFromString(text, "application/xml");
  if (!resp.ok) {
    throw fail(resp.status, xmlText(doc, "Code"), xmlText(doc, "Message"));
  }
  return doc;
}

export function xmlText(node, tag) {
  const el = node.getElementsByTagName(tag)[0];
  return el ? el.textContent : "";
}

export function xmlAll(node, tag) {
  return Array.from(node.getElementsByTagName(tag));
}

// Every page of a JSON listing: pages("sqs", "ListQueues", {}, "QueueUrls").
export async function pages(service, op, input, field, tokenIn = "nextToken", tokenOut = tokenIn, limit = 20) {
  const out = [];
  let token;
  for (let i = 0; i < limit; i++) {
    const doc = await json(service, op, token ? { ...input, [tokenIn]: token } : input);
    out.push(...(doc[field] || []));
    token = doc[tokenOut];
    if (!token) break;
  }
  return out;
}

export async function health() {
  const resp = await fetch("/_gureum/health", { cache: "no-store" });
  return resp.json();
}
