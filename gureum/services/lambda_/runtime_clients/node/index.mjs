// gureum's Node.js runtime interface client: speaks the Lambda Runtime API (2018-06-01)
// the way AWS's nodejs runtimes do. Handler "file.export" is looked up in LAMBDA_TASK_ROOT
// (.mjs, .js, .cjs), async handlers and callback handlers both work, console output goes
// to stdout in AWS's "timestamp\trequestId\tLEVEL\tmessage" format.
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import util from "node:util";
import { pathToFileURL } from "node:url";

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";
let currentRequestId = "";

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      { host, port, path: urlPath, method, agent,
        headers: data ? { ...headers, "content-type": "application/json", "content-length": data.length } : headers },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
    req.setNoDelay(true);
    req.on("error", reject);
    req.end(data);
  });
}

function errorPayload(err) {
  if (err instanceof Error) {
    return { errorType: err.name || "Error", errorMessage: err.message,
             trace: String(err.stack || "").split("\n") };
  }
  return { errorType: "string", errorMessage: typeof err === "string" ? err : JSON.stringify(err), trace: [] };
}

function patchConsole() {
  const write = (level) => (...args) => {
    const msg = util.format(...args).replace(/\n/g, "\r");
    process.stdout.write(`${new Date().toISOString()}\t${currentRequestId || "undefined"}\t${level}\t${msg}\n`);
  };
  console.log = write("INFO");
  console.info = write("INFO");
  console.warn = write("WARN");
  console.error = write("ERROR");
  console.debug = write("DEBUG");
  console.trace = write("TRACE");
}

class UserError extends Error {
  constructor(type, message) { super(message); this.name = type; }
}

async function loadHandler() {
  const taskRoot = process.env.LAMBDA_TASK_ROOT || "/var/task";
  const spec = process.env._HANDLER || "";
  const dot = spec.lastIndexOf(".");
  if (dot < 0) throw new UserError("Runtime.MalformedHandlerName", "Bad handler");
  const modulePath = spec.slice(0, dot);
  const fnPath = spec.slice(dot + 1);
  let file = null;
  for (const ext of [".mjs", ".js", ".cjs"]) {
    const candidate = path.resolve(taskRoot, modulePath + ext);
    if (fs.existsSync(candidate)) { file = candidate; break; }
  }
  if (!file) {
    throw new UserError("Runtime.ImportModuleError",
      `Error: Cannot find module '${modulePath}'\nRequire stack:\n- ${process.env.LAMBDA_RUNTIME_DIR}/index.mjs`);
  }
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err instanceof SyntaxError) throw new UserError("Runtime.UserCodeSyntaxError", `${err.name}: ${err.message}`);
    throw err;
  }
  let fn = mod;
  for (const part of fnPath.split(".")) fn = fn == null ? undefined : (fn[part] ?? (fn.default ? fn.default[part] : undefined));
  if (typeof fn !== "function") {
    throw new UserError("Runtime.HandlerNotFound", `${modulePath}.${fnPath} is undefined or not exported`);
  }
  return fn;
}

function invokeHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      err ? reject(err) : resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e || "handled");
    try {
      const out = fn(event, context, callback);
      if (out && typeof out.then === "function") out.then((r) => callback(null, r), (e) => callback(e));
      else if (fn.length < 3) callback(null, out);
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    const payload = errorPayload(err);
    console.error(`${payload.errorType}: ${payload.errorMessage}`);
    await call("POST", `${base}/init/error`, JSON.stringify(payload), { "Lambda-Runtime-Function-Error-Type": payload.errorType });
    process.exit(1);
  }
  for (;;) {
    const next = await call("GET", `${base}/invocation/next`);
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    if (h["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    const deadline = Number(h["lambda-runtime-deadline-ms"]);
    const context = {
      awsRequestId: requestId,
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: h["lambda-runtime-client-context"] ? JSON.parse(h["lambda-runtime-client-context"]) : undefined,
      identity: h["lambda-runtime-cognito-identity"] ? JSON.parse(h["lambda-runtime-cognito-identity"]) : undefined,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
    } catch (err) {
      event = next.body.toString("utf8");
    }
    try {
      const result = await invokeHandler(handler, event, context);
      const body = result === undefined ? "null" : JSON.stringify(result);
      await call("POST", `${base}/invocation/${requestId}/response`, body);
    } catch (err) {
      const payload = errorPayload(err);
      console.error(`Invoke Error \t${JSON.stringify(payload)}`);
      await call("POST", `${base}/invocation/${requestId}/error`, JSON.stringify(payload),
        { "Lambda-Runtime-Function-Error-Type": payload.errorType });
    }
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
