// gureum's Node.js runtime interface client: speaks the Lambda Runtime API (2018-06-01) the
// way AWS's nodejs runtimes do.
//
// Handler "dir/file.export.path": the module "file" in LAMBDA_TASK_ROOT/dir, tried as an
// extensionless file, .js (CommonJS, or ES module under a package.json whose "type" is
// "module"), .mjs, .cjs, then by Node's own resolution (node_modules); the export path may be
// nested ("file.handlers.main"). Load failures are AWS's Runtime.* errors
// (MalformedHandlerName, ImportModuleError, UserCodeSyntaxError, HandlerNotFound).
// Invocation: a handler returning a promise settles the invocation when the promise does;
// a callback handler when `callback` is called — after the event loop empties unless
// context.callbackWaitsForEmptyEventLoop was set false; a handler doing neither returns null
// once the event loop is empty. From nodejs24.x on, callback handlers are refused at init
// (Runtime.CallbackHandlerDeprecated) and a handler's plain return value is its result.
// Console output goes to stdout: "timestamp\trequestId\tLEVEL\tmessage" (newlines as \r,
// one log event per call), or with AWS_LAMBDA_LOG_FORMAT=JSON one JSON object per call
// ({timestamp, level, requestId, message}, Errors as errorType/errorMessage/stackTrace)
// filtered by AWS_LAMBDA_LOG_LEVEL.
// Response streaming: a handler wrapped in awslambda.streamifyResponse(handler) is called as
// handler(event, responseStream, context); what it writes goes out as it is written, in one
// chunked POST .../response with Lambda-Runtime-Function-Response-Mode: streaming (Content-Type
// application/octet-stream unless set with responseStream.setContentType or
// awslambda.HttpResponseStream.from); an error after that is sent in the trailers
// Lambda-Runtime-Function-Error-Type and Lambda-Runtime-Function-Error-Body (base64 JSON).
import http from "node:http";
import path from "node:path";
import fs from "node:fs";
import util from "node:util";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

// A spare sandbox (gureum/services/lambda_/spares.py): started before any function needs it,
// this process waits for the function's environment (variables and working directory) as one
// JSON document on stdin, then starts as a fresh one would.
if (process.env._GUREUM_SPARE) {
  const handover = JSON.parse(fs.readFileSync(0, "utf8") || "null");
  if (handover === null || typeof handover !== "object") process.exit(0);
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, handover.env);
  process.chdir(handover.cwd);
}

const require = createRequire(import.meta.url);
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = "/2018-06-01/runtime";
const declared = /^AWS_Lambda_nodejs(\d+)/.exec(process.env.AWS_EXECUTION_ENV || "");
const MAJOR = declared ? Number(declared[1]) : Number(process.versions.node.split(".")[0]);
const ASYNC_ONLY = MAJOR >= 24; // nodejs24.x removed callback-based handlers
let currentRequestId; // undefined during init, as on AWS

// ---- response streaming (the awslambda global AWS's nodejs runtimes define) ----------------
const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");
const HIGH_WATER_MARK = Symbol.for("aws.lambda.runtime.handler.streaming.highWaterMark");

class HttpResponseStream {
  static from(underlying, prelude) {
    underlying.setContentType("application/vnd.awslambda.http-integration-response");
    underlying.write(JSON.stringify(prelude));
    underlying.write(new Uint8Array(8)); // the prelude's end: 8 NUL bytes
    return underlying;
  }
}

globalThis.awslambda = {
  streamifyResponse(handler, options) {
    handler[STREAMING] = "response";
    if (options?.highWaterMark) handler[HIGH_WATER_MARK] = Number(options.highWaterMark);
    return handler;
  },
  HttpResponseStream,
};

function openResponseStream(requestId, highWaterMark) {
  const req = http.request({
    host, port, path: `${base}/invocation/${requestId}/response`, method: "POST", agent, highWaterMark,
    headers: {
      "Lambda-Runtime-Function-Response-Mode": "streaming",
      "Transfer-Encoding": "chunked",
      "Content-Type": "application/octet-stream",
      "Trailer": "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
    },
  });
  req.setNoDelay(true);
  req.setContentType = (type) => {
    if (!req.headersSent) req.setHeader("Content-Type", type);
  };
  const accepted = new Promise((resolve) => {
    req.on("response", (res) => { res.resume(); res.on("end", resolve); res.on("error", resolve); });
    req.on("error", resolve);
  });
  return { req, accepted };
}

async function runStreaming(fn, event, context) {
  const { req, accepted } = openResponseStream(context.awsRequestId, fn[HIGH_WATER_MARK]);
  failInvocation = (err) => { streamFailed(req, err); };
  let error;
  try {
    await fn(event, req, context);
  } catch (err) {
    error = err ?? "handled";
  }
  if (error !== undefined) {
    logError("Invoke Error", error);
    streamFailed(req, error);
  } else if (!req.writableEnded) {
    req.end();
  }
  await accepted;
}

function streamFailed(req, err) {
  if (req.writableEnded) return;
  const payload = errorPayload(err);
  req.addTrailers({
    "Lambda-Runtime-Function-Error-Type": payload.errorType,
    "Lambda-Runtime-Function-Error-Body": Buffer.from(JSON.stringify(payload)).toString("base64"),
  });
  req.end();
}

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

// ---- errors in AWS's shape ---------------------------------------------------------------
function runtimeError(kind, message) {
  const err = new Error(message);
  err.name = `Runtime.${kind}`;
  return err;
}

function isError(value) {
  return util.types.isNativeError(value) || value instanceof Error;
}

function errorPayload(err) {
  try {
    if (isError(err)) {
      return { errorType: err.name, errorMessage: err.message, trace: String(err.stack ?? "").split("\n") };
    }
    return { errorType: typeof err, errorMessage: String(err), trace: [] };
  } catch {
    return { errorType: "handled",
      errorMessage: "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack" };
  }
}

// ---- logging ---------------------------------------------------------------------------
const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const JSON_FORMAT = (process.env.AWS_LAMBDA_LOG_FORMAT || "").toUpperCase() === "JSON";
const MIN_LEVEL = LEVELS[(process.env.AWS_LAMBDA_LOG_LEVEL || "").toUpperCase()] ?? (JSON_FORMAT ? LEVELS.INFO : 0);

function errorFields(err) {
  return { errorType: err?.constructor?.name ?? "UnknownError", errorMessage: err.message,
           stackTrace: typeof err.stack === "string" ? err.stack.split("\n") : err.stack };
}

function jsonReplacer(_key, value) {
  if (isError(value)) return { ...errorFields(value), ...value };
  return value;
}

function jsonLine(level, args) {
  const record = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (args.length === 1) {
    record.message = args[0];
    try {
      return JSON.stringify(record, jsonReplacer);
    } catch {
      record.message = util.format(args[0]);
      return JSON.stringify(record);
    }
  }
  record.message = util.format(...args);
  const err = args.find(isError);
  if (err) Object.assign(record, errorFields(err));
  return JSON.stringify(record, jsonReplacer);
}

function writeLog(level, args) {
  if (LEVELS[level] < MIN_LEVEL) return;
  const line = JSON_FORMAT
    ? jsonLine(level, args)
    : `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args).replace(/\n/g, "\r")}`;
  process.stdout.write(line + "\n");
}

function patchConsole() {
  const to = (level) => (...args) => writeLog(level, args);
  console.log = to("INFO");
  console.info = to("INFO");
  console.warn = to("WARN");
  console.error = to("ERROR");
  console.debug = to("DEBUG");
  console.trace = to("TRACE");
  console.fatal = to("FATAL");
}

function intoError(err) {
  return isError(err) ? err : new Error(String(err));
}

// An error as the runtime logs it: its name and message, its own enumerable properties, the
// stack as lines ("stack", where the answer's payload says "trace").
function formatted(err) {
  try {
    return "\t" + JSON.stringify(err, (_k, v) => {
      if (!isError(v)) return v;
      const out = { errorType: v.name, errorMessage: v.message, code: v.code, ...v };
      if (typeof v.stack === "string") out.stack = v.stack.split("\n");
      return out;
    });
  } catch {
    return "\t" + JSON.stringify(errorPayload(err));
  }
}

function logError(label, err) {
  if (JSON_FORMAT) writeLog("ERROR", [intoError(err)]);
  else writeLog("ERROR", [label, formatted(intoError(err))]);
}

// ---- loading the handler ----------------------------------------------------------------
function packageTypeIsModule(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
      return pkg?.type === "module";
    } catch (err) {
      if (err?.code !== "ENOENT" && err?.code !== "ENOTDIR") return false;
    }
    if (dir === path.dirname(dir)) return false;
  }
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

async function loadModule(appRoot, moduleRoot, name) {
  const file = path.resolve(appRoot, moduleRoot, name);
  if (isFile(file)) return require(file);
  const esm = packageTypeIsModule(file);
  if (!esm && isFile(file + ".js")) return require(file + ".js");
  if (esm && isFile(file + ".js")) return import(pathToFileURL(file + ".js").href);
  if (isFile(file + ".mjs")) return import(pathToFileURL(file + ".mjs").href);
  if (isFile(file + ".cjs")) return require(file + ".cjs");
  return require(require.resolve(name, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] }));
}

async function loadHandler() {
  const appRoot = process.env.LAMBDA_TASK_ROOT || "/var/task";
  const full = process.env._HANDLER || "";
  if (full.includes("..")) {
    throw runtimeError("MalformedHandlerName",
      `'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const handlerString = path.basename(full);
  const moduleRoot = full.slice(0, full.length - handlerString.length);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) throw runtimeError("MalformedHandlerName", "Bad handler");
  const [, moduleName, handlerPath] = match;
  let mod;
  try {
    mod = await loadModule(appRoot, moduleRoot, moduleName);
  } catch (err) {
    if (err instanceof SyntaxError) throw runtimeError("UserCodeSyntaxError", String(err));
    if (err?.code === "MODULE_NOT_FOUND") throw runtimeError("ImportModuleError", String(err));
    throw err;
  }
  let fn = mod;
  for (const part of handlerPath.split(".")) fn = fn == null ? undefined : fn[part];
  if (fn === undefined || fn === null) throw runtimeError("HandlerNotFound", `${full} is undefined or not exported`);
  if (typeof fn !== "function") throw runtimeError("HandlerNotFound", `${full} is not a function`);
  if (ASYNC_ONLY && fn.length >= 3 && !fn[STREAMING]) {
    const err = new Error("ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. "
      + "You need to modify this function to use a supported handler signature to use Node.js 24 or later. "
      + "For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.");
    err.name = "Runtime.CallbackHandlerDeprecated";
    throw err;
  }
  if (!ASYNC_ONLY && fn.length === 3 && !fn[STREAMING] && fn.constructor?.name !== "AsyncFunction"
      && process.env.AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING === undefined) {
    console.warn("AWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24. "
      + "You will need to update this function to use an async handler to use Node.js 24 or later. "
      + "For more information and to provide feedback on this change, see "
      + "https://github.com/aws/aws-lambda-nodejs-runtime-interface-client/issues/137. "
      + "To disable this warning, set the AWS_LAMBDA_NODEJS_DISABLE_CALLBACK_WARNING environment variable.");
  }
  return fn;
}

// ---- running one invocation -------------------------------------------------------------
let emptyLoopWaiters = [];
process.on("beforeExit", () => {
  const waiters = emptyLoopWaiters;
  emptyLoopWaiters = [];
  for (const w of waiters) w();
});

function whenEventLoopEmpty(fn) {
  emptyLoopWaiters.push(fn);
}

let failInvocation = null; // set while an invocation runs: uncaught errors end it

function runHandler(fn, event, context) {
  return new Promise((resolve) => {
    let finished = false;
    let outcome = null;
    const onEmptyLoop = () => finish(outcome ?? { result: null });
    const finish = (o) => {
      if (finished) return;
      finished = true;
      emptyLoopWaiters = emptyLoopWaiters.filter((w) => w !== onEmptyLoop); // no closure outlives its invocation
      resolve(o);
    };
    failInvocation = (err) => finish({ error: err, fatal: true });
    const settle = (o, now) => {
      if (outcome) {
        console.error("Invocation has already been reported as done. Cannot call complete more than once per invocation.");
        return;
      }
      outcome = o;
      if (now || !context.callbackWaitsForEmptyEventLoop) finish(o);
    };
    const callback = (err, result) => settle(err !== undefined && err !== null ? { error: err } : { result });
    if (!ASYNC_ONLY) {
      context.done = callback;
      context.succeed = (result) => callback(null, result);
      context.fail = (err) => callback(err ?? "handled");
      whenEventLoopEmpty(onEmptyLoop);
    }
    try {
      const out = ASYNC_ONLY ? fn(event, context) : fn(event, context, callback);
      if (out && typeof out.then === "function") {
        out.then((r) => settle({ result: r }, true), (e) => settle({ error: e ?? "handled" }, true));
      } else if (ASYNC_ONLY) {
        settle({ result: out }, true);
      }
    } catch (err) {
      settle({ error: err }, true);
    }
  });
}

function responseBody(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    const err = new Error("Unable to stringify response body");
    if (ASYNC_ONLY) err.name = "Runtime.JSONStringifyError";
    throw err;
  }
}

function headerJson(text) {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function postError(urlPath, err) {
  const payload = errorPayload(err);
  await call("POST", urlPath, JSON.stringify(payload), { "Lambda-Runtime-Function-Error-Type": payload.errorType });
}

let initDone = false;

// How the runtime labels an error that ends init: AWS's client for nodejs24.x says "Init Error",
// the one before it "Uncaught Exception".
const INIT_ERROR_LABEL = ASYNC_ONLY ? "Init Error" : "Uncaught Exception";

async function fatal(label, err) {
  logError(label, err);
  if (!initDone) {
    await postError(`${base}/init/error`, err).catch(() => {});
    process.exit(1);
  } else if (failInvocation) {
    failInvocation(err);
  } else {
    process.exit(128);
  }
}

process.on("uncaughtException", (err) => { fatal("Uncaught Exception", err); });
process.on("unhandledRejection", (reason) => {
  const err = runtimeError("UnhandledPromiseRejection", isError(reason) ? `${reason.name}: ${reason.message}` : String(reason));
  fatal("Unhandled Promise Rejection", err);
});

async function main() {
  patchConsole();
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    await fatal(INIT_ERROR_LABEL, err);
    return;
  }
  initDone = true;
  for (;;) {
    const next = await call("GET", `${base}/invocation/next`);
    const h = next.headers;
    const requestId = h["lambda-runtime-aws-request-id"];
    currentRequestId = requestId;
    if (h["lambda-runtime-trace-id"]) process.env._X_AMZN_TRACE_ID = h["lambda-runtime-trace-id"];
    else delete process.env._X_AMZN_TRACE_ID;
    const deadline = Number(h["lambda-runtime-deadline-ms"]);
    const context = {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      clientContext: headerJson(h["lambda-runtime-client-context"]),
      identity: headerJson(h["lambda-runtime-cognito-identity"]),
      invokedFunctionArn: h["lambda-runtime-invoked-function-arn"],
      awsRequestId: requestId,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    if (ASYNC_ONLY) {  // nodejs24.x: no callbacks, so no callbackWaitsForEmptyEventLoop
      context.tenantId = h["lambda-runtime-aws-tenant-id"];
      context.xRayTraceId = h["lambda-runtime-trace-id"];
    } else {
      context.callbackWaitsForEmptyEventLoop = true;
    }
    let event;
    try {
      event = next.body.length ? JSON.parse(next.body.toString("utf8")) : null;
    } catch {
      event = next.body.toString("utf8");
    }
    if (handler[STREAMING] === "response") {
      await runStreaming(handler, event, context);
      failInvocation = null;
      continue;
    }
    const outcome = await runHandler(handler, event, context);
    failInvocation = null;
    let body;
    let error = outcome.error;
    if (!("error" in outcome)) {
      try {
        body = responseBody(outcome.result);
      } catch (err) {
        error = err;
      }
    }
    if (body !== undefined) {
      await call("POST", `${base}/invocation/${requestId}/response`, body);
    } else {
      if (!outcome.fatal) logError("Invoke Error", error);
      await postError(`${base}/invocation/${requestId}/error`, error);
      if (outcome.fatal) process.exit(129);
    }
  }
}

main().catch((err) => { logError("Uncaught Exception", err); process.exit(1); });
