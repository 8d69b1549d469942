// gureum's console: hash-routed pages over the AWS APIs (aws.js), charts drawn as SVG here.

import { ApiError, AuthError, health, json, keys, lambda, pages, route53, setKeys, state, xmlAll, xmlText } from "./aws.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");
const REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-northeast-2"];
const COLORS = ["--c0", "--c1", "--c2", "--c3", "--c4", "--c5", "--c6", "--c7"].map((v) => `var(${v})`);
let timers = [];
let strict = false;
let shown = 0; // the navigation whose page is on screen, or is being built: route() counts them

// --- small DOM helpers -------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function table(headers, rows, empty = "Nothing here yet.") {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", {}, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => (c instanceof Node && c.tagName === "TD" ? c : h("td", {}, c)))))));
}

const num = (v) => h("td", { class: "num" }, v);
const badge = (text, kind) => h("span", { class: `badge ${kind || ""}` }, text);
const fmtUsd = (v) => "$" + (v > 0 && v < 0.001 ? v.toExponential(1) : v > 0 && v < 0.01 ? v.toPrecision(2) : v.toFixed(2));

// Run fn every ms while the page that asked stays on screen: a page still being built when a newer
// navigation starts leaves no timer behind.
function every(ms, fn) {
  const mine = shown;
  const id = setInterval(() => (mine === shown ? fn() : clearInterval(id)), ms);
  timers.push(id);
}

function showError(e) {
  if (e instanceof AuthError) {
    askKeys(`The cloud refused the request (${e.code}). Sign in with an access key.`);
    return;
  }
  banner.hidden = false;
  banner.textContent = e instanceof ApiError ? e.message : `Something went wrong: ${e.message || e}`;
}

// --- keys --------------------------------------------------------------------------------------
const dialog = document.getElementById("keys-dialog");
function askKeys(why) {
  document.getElementById("keys-why").textContent = why;
  if (!dialog.open) dialog.showModal();
}
dialog.addEventListener("close", () => {
  const form = document.getElementById("keys-form");
  if (dialog.returnValue === "save") {
    const f = new FormData(form);
    setKeys({ key: f.get("key").trim(), secret: f.get("secret").trim(), token: f.get("token").trim() || undefined });
  } else if (dialog.returnValue === "forget") {
    setKeys(null);
  }
  route();
});
document.getElementById("keys-button").addEventListener("click", () =>
  askKeys(strict ? "This cloud runs with --auth strict: sign in with an access key." : "Optional on an open cloud: any keys are accepted."));

const regionSelect = document.getElementById("region");
for (const r of REGIONS) regionSelect.append(h("option", { value: r, selected: r === state.region }, r));
regionSelect.addEventListener("change", () => {
  state.region = regionSelect.value;
  localStorage.setItem("gureum.region", state.region);
  route();
});

// --- charts ------------------------------------------------------------------------------------
// A line chart of series [{label, points: [[Date, value]...]}]: one circle per point.
function lineChart(series, { height = 260, unit = "" } = {}) {
  const W = 900, H = height, L = 56, R = 16, T = 14, B = 28;
  const all = series.flatMap((x) => x.points);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-points": String(all.length), "data-series": String(series.length) });
  if (!all.length) {
    svg.append(s("text", { x: W / 2, y: H / 2, "text-anchor": "middle" }, "no datapoints in this range"));
    return h("div", { class: "chart" }, svg);
  }
  const t0 = Math.min(...all.map((p) => +p[0])), t1 = Math.max(...all.map((p) => +p[0]));
  const v1 = Math.max(...all.map((p) => p[1]), 0), v0 = Math.min(...all.map((p) => p[1]), 0);
  const span = t1 - t0 || 1, vspan = v1 - v0 || 1;
  const x = (t) => L + ((+t - t0) / span) * (W - L - R);
  const y = (v) => H - B - ((v - v0) / vspan) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = v0 + (vspan * i) / 4;
    svg.append(s("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, fmtNum(v) + unit));
  }
  for (let i = 0; i <= 4; i++) {
    const t = new Date(t0 + (span * i) / 4);
    svg.append(s("text", { x: x(t), y: H - 8, "text-anchor": "middle" }, t.toISOString().slice(11, 16)));
  }
  series.forEach((ser, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...ser.points].sort((a, b) => a[0] - b[0]);
    if (pts.length > 1) {
      svg.append(s("polyline", { fill: "none", stroke: color, "stroke-width": 2,
        points: pts.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ") }));
    }
    for (const p of pts) {
      svg.append(s("circle", { class: "point", cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3, fill: color },
        s("title", {}, `${ser.label} ${p[0].toISOString()}: ${p[1]}`)));
    }
  });
  return h("div", { class: "chart" }, svg, legend(series.map((x) => x.label)));
}

function legend(labels, colors = COLORS) {
  return h("div", { class: "legend" }, labels.map((l, i) => {
    const swatch = h("i");
    swatch.style.background = colors[i % colors.length]; // CSSOM, not a style attribute (the CSP allows no inline styles)
    return h("span", {}, swatch, l);
  }));
}

function fmtNum(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
  if (a >= 10 || v === 0) return v.toFixed(0);
  return v.toPrecision(2);
}

// Stacked bars: days [{label, parts: {key: value}}], forecast bars drawn hatched-light.
function stackedBars(days, keysOrder, { forecast = [] } = {}) {
  const W = 900, H = 280, L = 56, R = 16, T = 14, B = 30;
  const bars = [...days.map((d) => ({ ...d, forecast: false })), ...forecast.map((d) => ({ ...d, forecast: true }))];
  const totals = bars.map((b) => Object.values(b.parts).reduce((a, v) => a + v, 0));
  const top = Math.max(...totals, 0) || 1;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "data-bars": String(bars.length) });
  const bw = (W - L - R) / Math.max(1, bars.length);
  const y = (v) => H - B - (v / top) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    svg.append(s("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    svg.append(s("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, fmtUsd(v)));
  }
  bars.forEach((b, i) => {
    let acc = 0;
    const x0 = L + i * bw + bw * 0.15;
    (b.forecast ? Object.keys(b.parts) : keysOrder).forEach((k, j) => {
      const v = b.parts[k] || 0;
      if (v <= 0) return;
      svg.append(s("rect", { class: b.forecast ? "bar forecast" : "bar", x: x0.toFixed(1), width: (bw * 0.7).toFixed(1),
        y: y(acc + v).toFixed(1), height: Math.max(0.5, y(acc) - y(acc + v)).toFixed(1),
        fill: b.forecast ? "var(--c7)" : COLORS[j % COLORS.length], opacity: b.forecast ? 0.45 : 1 },
        s("title", {}, `${b.label} ${k}: ${fmtUsd(v)}`)));
      acc += v;
    });
    if (i % Math.ceil(bars.length / 12) === 0) {
      svg.append(s("text", { x: (x0 + bw * 0.35).toFixed(1), y: H - 10, "text-anchor": "middle" }, b.label.slice(5)));
    }
  });
  const colors = [...keysOrder.map((_, j) => COLORS[j % COLORS.length]), "var(--c7)"];
  return h("div", { class: "chart" }, svg, legend([...keysOrder, ...(forecast.length ? ["forecast"] : [])], colors));
}

function sparkline(values) {
  const W = 120, H = 28;
  const top = Math.max(...values, 1);
  const svg = s("svg", { class: "spark", viewBox: `0 0 ${W} ${H}` });
  if (values.length > 1) {
    svg.append(s("polyline", { fill: "none", stroke: "var(--c0)", "stroke-width": 1.5,
      points: values.map((v, i) => `${((i / (values.length - 1)) * W).toFixed(1)},${(H - 2 - (v / top) * (H - 4)).toFixed(1)}`).join(" ") }));
  }
  return svg;
}

// --- metrics helpers ---------------------------------------------------------------------------
async function metricData(queries, start, end, region) {
  const out = {};
  let token;
  for (let i = 0; i < 10; i++) {
    const doc = await json("cloudwatch", "GetMetricData", {
      MetricDataQueries: queries, StartTime: start.getTime() / 1000, EndTime: end.getTime() / 1000,
      ScanBy: "TimestampAscending", ...(token ? { NextToken: token } : {}),
    }, region);
    for (const r of doc.MetricDataResults || []) {
      const acc = (out[r.Id] = out[r.Id] || []);
      (r.Timestamps || []).forEach((t, j) => acc.push([new Date(typeof t === "number" ? t * 1000 : t), r.Values[j]]));
    }
    token = doc.NextToken;
    if (!token) break;
  }
  return out;
}

// --- pages -------------------------------------------------------------------------------------
async function overview() {
  const [fns, queues, zones, clusters] = await Promise.all([
    lambda("GET", "/2015-03-31/functions/").then((d) => d.Functions || []),
    json("sqs", "ListQueues", {}).then((d) => d.QueueUrls || []),
    route53("/2013-04-01/hostedzone").then((d) => xmlAll(d, "HostedZone")),
    json("ecs", "ListClusters", {}).then((d) => d.clusterArns || []),
  ]);
  const card = (label, n, href) => h("a", { class: "card", href }, h("div", { class: "label" }, label), h("div", { class: "n" }, n));
  return [h("h1", {}, "Your cloud"), h("div", { class: "cards" },
    card("Functions", fns.length, "#/lambda"), card("Hosted zones", zones.length, "#/route53"),
    card("Queues", queues.length, "#/sqs"), card("Clusters", clusters.length, "#/ecs"))];
}

async function route53Page(zoneId) {
  const zonesDoc = await route53("/2013-04-01/hostedzone");
  const zones = xmlAll(zonesDoc, "HostedZone").map((z) => ({
    id: xmlText(z, "Id").split("/").pop(), name: xmlText(z, "Name"), count: xmlText(z, "ResourceRecordSetCount"),
    private: xmlText(z, "PrivateZone") === "true",
  }));
  const out = [h("h1", {}, "Route 53"), h("h2", {}, "Hosted zones"), table(["Zone", "Id", "Records", "Type"],
    zones.map((z) => [h("a", { href: `#/route53/${z.id}` }, z.name), z.id, num(z.count), z.private ? "private" : "public"]),
    "No hosted zones.")];
  if (!zoneId) return out;
  const recs = xmlAll(await route53(`/2013-04-01/hostedzone/${encodeURIComponent(zoneId)}/rrset`), "ResourceRecordSet");
  const checks = [...new Set(recs.map((r) => xmlText(r, "HealthCheckId")).filter(Boolean))];
  const status = {};
  await Promise.all(checks.map(async (id) => {
    const obs = xmlAll(await route53(`/2013-04-01/healthcheck/${encodeURIComponent(id)}/status`), "HealthCheckObservation");
    const up = obs.filter((o) => xmlText(o, "Status").startsWith("Success")).length;
    status[id] = obs.length ? up / obs.length > 0.18 : null;
  }));
  const zone = zones.find((z) => z.id === zoneId);
  every(5000, () => { if (!dialog.open) route(); }); // live health: the records page refreshes itself
  out.push(h("h2", {}, `Records of ${zone ? zone.name : zoneId}`), table(["Name", "Type", "Routing", "Value", "Health"], recs.map((r) => {
    const values = xmlAll(r, "Value").map((v) => v.textContent);
    const alias = xmlText(r, "DNSName");
    const hc = xmlText(r, "HealthCheckId");
    const routing = xmlText(r, "SetIdentifier") ? `${xmlText(r, "Failover") || xmlText(r, "Weight") && "weighted" || xmlText(r, "Region") && "latency" || "routed"} (${xmlText(r, "SetIdentifier")})` : "simple";
    const health = !hc ? "" : status[hc] === null ? badge("checking", "warn") : status[hc] ? badge("healthy", "ok") : badge("unhealthy", "bad");
    return [xmlText(r, "Name"), xmlText(r, "Type"), routing, alias ? `alias → ${alias}` : values.join(", "), health];
  })));
  return out;
}

async function lambdaPage() {
  const fns = (await lambda("GET", "/2015-03-31/functions/")).Functions || [];
  const end = new Date(), start = new Date(end - 3600e3);
  const queries = fns.flatMap((f, i) => ["Invocations", "Errors"].map((m) => ({
    Id: `${m[0].toLowerCase()}${i}`, MetricStat: { Metric: { Namespace: "AWS/Lambda", MetricName: m,
      Dimensions: [{ Name: "FunctionName", Value: f.FunctionName }] }, Period: 60, Stat: "Sum" } })));
  const data = queries.length ? await metricData(queries, start, end) : {};
  const sum = (id) => (data[id] || []).reduce((a, p) => a + p[1], 0);
  const series = (id) => {
    const per = new Map((data[id] || []).map((p) => [Math.floor(p[0] / 60e3), p[1]]));
    return Array.from({ length: 60 }, (_, k) => per.get(Math.floor(start / 60e3) + k + 1) || 0);
  };
  return [h("h1", {}, "Lambda"), table(["Function", "Runtime", "Memory", "Invocations (1 h)", "Errors (1 h)", "Last hour", ""],
    fns.map((f, i) => [f.FunctionName, f.Runtime || f.PackageType, num(`${f.MemorySize} MB`), num(sum(`i${i}`)),
      num(sum(`e${i}`) ? badge(String(sum(`e${i}`)), "bad") : "0"), sparkline(series(`i${i}`)),
      h("a", { href: `#/logs/${encodeURIComponent(f.FunctionName)}` }, "logs")]), "No functions.")];
}

async function sqsPage() {
  const urls = (await json("sqs", "ListQueues", {})).QueueUrls || [];
  const rows = await Promise.all(urls.map(async (url) => {
    const a = (await json("sqs", "GetQueueAttributes", { QueueUrl: url, AttributeNames: ["All"] })).Attributes || {};
    return [url.split("/").pop(), num(a.ApproximateNumberOfMessages), num(a.ApproximateNumberOfMessagesNotVisible),
      num(a.ApproximateNumberOfMessagesDelayed), a.FifoQueue === "true" ? "FIFO" : "standard"];
  }));
  return [h("h1", {}, "SQS"), table(["Queue", "Visible", "In flight", "Delayed", "Type"], rows, "No queues.")];
}

async function ecsPage() {
  const clusters = (await json("ecs", "ListClusters", {})).clusterArns || [];
  const out = [h("h1", {}, "ECS")];
  if (!clusters.length) return [...out, h("p", { class: "muted" }, "No clusters.")];
  const desc = (await json("ecs", "DescribeClusters", { clusters })).clusters || [];
  out.push(table(["Cluster", "Running tasks", "Pending", "Services", "Status"], desc.map((c) => [c.clusterName,
    num(c.runningTasksCount), num(c.pendingTasksCount), num(c.activeServicesCount), badge(c.status, c.status === "ACTIVE" ? "ok" : "")])));
  for (const c of desc) {
    const services = await pages("ecs", "ListServices", { cluster: c.clusterArn }, "serviceArns");
    const tasks = await pages("ecs", "ListTasks", { cluster: c.clusterArn }, "taskArns");
    if (services.length) {
      const sd = (await json("ecs", "DescribeServices", { cluster: c.clusterArn, services: services.slice(0, 10) })).services || [];
      out.push(h("h2", {}, `Services of ${c.clusterName}`), table(["Service", "Desired", "Running", "Pending", "Task definition"],
        sd.map((x) => [x.serviceName, num(x.desiredCount), num(x.runningCount), num(x.pendingCount), x.taskDefinition.split("/").pop()])));
    }
    if (tasks.length) {
      const td = (await json("ecs", "DescribeTasks", { cluster: c.clusterArn, tasks: tasks.slice(0, 100) })).tasks || [];
      out.push(h("h2", {}, `Tasks of ${c.clusterName}`), table(["Task", "Group", "Status", "CPU", "Memory", "Started"],
        td.map((t) => [t.taskArn.split("/").pop(), t.group || "", badge(t.lastStatus, t.lastStatus === "RUNNING" ? "ok" : ""),
          num(t.cpu || ""), num(t.memory || ""), t.startedAt ? new Date(t.startedAt * 1000).toLocaleString() : ""])));
    }
  }
  return out;
}

async function ecrPage() {
  const repos = await pages("ecr", "DescribeRepositories", {}, "repositories");
  const out = [h("h1", {}, "ECR"), table(["Repository", "URI", "Created"], repos.map((r) => [r.repositoryName, r.repositoryUri,
    r.createdAt ? new Date(r.createdAt * 1000).toLocaleString() : ""]), "No repositories.")];
  for (const r of repos.slice(0, 20)) {
    const imgs = await pages("ecr", "DescribeImages", { repositoryName: r.repositoryName }, "imageDetails");
    if (imgs.length) {
      out.push(h("h2", {}, r.repositoryName), table(["Tags", "Digest", "Size", "Pushed"], imgs.map((i) => [(i.imageTags || []).join(", "),
        i.imageDigest.slice(0, 19) + "…", num(`${((i.imageSizeInBytes || 0) / 1048576).toFixed(1)} MiB`),
        i.imagePushedAt ? new Date(i.imagePushedAt * 1000).toLocaleString() : ""])));
    }
  }
  return out;
}

async function costsPage() {
  const today = new Date();
  const day = (d) => d.toISOString().slice(0, 10);
  const start = new Date(today - 13 * 86400e3), end = new Date(+today + 86400e3);
  const doc = await json("ce", "GetCostAndUsage", { TimePeriod: { Start: day(start), End: day(end) }, Granularity: "DAILY",
    Metrics: ["UnblendedCost"], GroupBy: [{ Type: "DIMENSION", Key: "SERVICE" }] }, "us-east-1");
  const services = new Set();
  const days = (doc.ResultsByTime || []).map((r) => {
    const parts = {};
    for (const g of r.Groups || []) {
      parts[g.Keys[0]] = parseFloat(g.Metrics.UnblendedCost.Amount);
      services.add(g.Keys[0]);
    }
    return { label: r.TimePeriod.Start, parts };
  });
  const order = [...services].sort();
  const spent = days.reduce((a, d) => a + Object.values(d.parts).reduce((x, y) => x + y, 0), 0);
  let forecastBars = [], forecastText = "no forecast yet (it needs recorded days)";
  const monthEnd = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1));
  if (day(end) < day(monthEnd)) {
    try {
      const f = await json("ce", "GetCostForecast", { TimePeriod: { Start: day(end), End: day(monthEnd) }, Metric: "UNBLENDED_COST",
        Granularity: "DAILY" }, "us-east-1");
      forecastBars = (f.ForecastResultsByTime || []).map((r) => ({ label: r.TimePeriod.Start, parts: { forecast: parseFloat(r.MeanValue) } }));
      forecastText = `${fmtUsd(parseFloat(f.Total.Amount))} more expected by the end of the month`;
    } catch (e) {
      if (!(e instanceof ApiError) || e instanceof AuthError) throw e;
    }
  }
  return [h("h1", {}, "Costs"), h("div", { class: "cards" },
    h("div", { class: "card" }, h("div", { class: "label" }, "Last 14 days"), h("div", { class: "n total" }, fmtUsd(spent))),
    h("div", { class: "card" }, h("div", { class: "label" }, "Forecast"), h("div", {}, forecastText))),
    h("h2", {}, "By service and day"), stackedBars(days, order, { forecast: forecastBars })];
}

const RANGES = { "1h": 3600, "3h": 3 * 3600, "12h": 12 * 3600, "1d": 86400, "1w": 7 * 86400 };

// A metric's id in the page's address: "Namespace|MetricName|Name=Value|..." (dimensions sorted
// by name). A value "*" picks every metric of that namespace, name and dimension names, one
// series per dimension value, as a console SEARCH pick does ("Invocations of every function").
const metricId = (m) => [m.Namespace, m.MetricName, ...[...(m.Dimensions || [])].sort((a, b) => (a.Name < b.Name ? -1 : 1))
  .map((d) => `${d.Name}=${d.Value}`)].join("|");
const MAX_SERIES = 24;

function expandPick(pick, all) {
  const [ns, name, ...dims] = pick.split("|");
  if (!dims.some((d) => d.endsWith("=*"))) return all.filter((m) => metricId(m) === pick);
  return all.filter((m) => {
    const have = metricId(m).split("|").slice(2);
    return m.Namespace === ns && m.MetricName === name && have.length === dims.length
      && dims.every((d, i) => (d.endsWith("=*") ? have[i].startsWith(d.slice(0, -1)) : have[i] === d));
  });
}

function wildcardPicks(all) {
  const groups = new Map();
  for (const m of all) {
    const parts = metricId(m).split("|");
    if (parts.length < 3) continue;
    const key = [...parts.slice(0, 2), ...parts.slice(2).map((d) => d.split("=")[0] + "=*")].join("|");
    groups.set(key, (groups.get(key) || 0) + 1);
  }
  return [...groups].filter(([, n]) => n > 1);
}

async function metricsPage(params) {
  const all = await pages("cloudwatch", "ListMetrics", {}, "Metrics", "NextToken");
  const picked = params.getAll("m").length ? params.getAll("m") : all[0] ? [metricId(all[0])] : [];
  const range = RANGES[params.get("r")] ? params.get("r") : "3h";
  const stat = params.get("s") || "Sum";
  const go = (ms, r, st) => {
    const q = new URLSearchParams([...ms.map((m) => ["m", m]), ["r", r], ["s", st]]);
    location.hash = `#/metrics?${q}`;
  };
  const choices = [...wildcardPicks(all).map(([key, n]) => [key, `${key.replaceAll("|", "  ·  ")}  (all ${n})`]),
    ...all.map((m) => [metricId(m), metricId(m).replaceAll("|", "  ·  ")])];
  const picker = h("select", { id: "metric-select", multiple: true, size: Math.min(8, Math.max(2, choices.length)),
    title: "Pick one or more metrics (a * pick: every dimension value)",
    onchange: (e) => go([...e.target.selectedOptions].map((o) => o.value), range, stat) },
    choices.map(([value, text]) => h("option", { value, selected: picked.includes(value) }, text)));
  const ranges = h("span", { class: "seg" }, Object.keys(RANGES).map((r) =>
    h("button", { type: "button", class: r === range ? "on" : "", "data-range": r, onclick: () => go(picked, r, stat) }, r)));
  const stats = h("select", { onchange: (e) => go(picked, range, e.target.value) },
    ["Sum", "Average", "Minimum", "Maximum", "SampleCount"].map((x) => h("option", { value: x, selected: x === stat }, x)));
  const out = [h("h1", {}, "Metrics"), h("div", { class: "toolbar" }, picker, stats, ranges)];
  const chosen = [];
  for (const pick of picked) for (const m of expandPick(pick, all)) if (!chosen.some((c) => metricId(c) === metricId(m))) chosen.push(m);
  if (!chosen.length) return [...out, h("p", { class: "muted" }, "No metrics yet.")];
  if (chosen.length > MAX_SERIES) out.push(h("p", { class: "muted" }, `Showing the first ${MAX_SERIES} of ${chosen.length} metrics.`));
  const shown = chosen.slice(0, MAX_SERIES);
  const seconds = RANGES[range];
  const period = seconds <= 3 * 3600 ? 60 : seconds <= 86400 ? 300 : 3600;
  const end = new Date(), start = new Date(end - seconds * 1000);
  const data = await metricData(shown.map((m, i) => ({ Id: `m${i}`, MetricStat: { Metric: m, Period: period, Stat: stat } })), start, end);
  const label = (m) => (shown.length === 1 ? `${m.MetricName} (${stat}, ${period} s)`
    : [m.MetricName, ...(m.Dimensions || []).map((d) => `${d.Name}=${d.Value}`)].join(" "));
  out.push(lineChart(shown.map((m, i) => ({ label: label(m), points: data[`m${i}`] || [] }))));
  return out;
}

// Follow a log group: FilterLogEvents from the page's opening, every second.
function tail(group, region, title, empty) {
  const pre = h("pre", { class: "tail", id: "tail" });
  const status = h("span", { class: "muted" }, `following ${group}…`);
  let since = Date.now() - 15 * 60e3;
  const seen = new Set();
  const poll = async () => {
    try {
      let token;
      for (let i = 0; i < 5; i++) {
        const doc = await json("logs", "FilterLogEvents", { logGroupName: group, startTime: since, ...(token ? { nextToken: token } : {}) }, region);
        for (const e of doc.events || []) {
          if (seen.has(e.eventId)) continue;
          seen.add(e.eventId);
          since = Math.max(since, e.timestamp);
          pre.append(h("span", { class: "ts" }, new Date(e.timestamp).toISOString().slice(11, 23) + " "), e.message.replace(/\n$/, "") + "\n");
          pre.scrollTop = pre.scrollHeight;
        }
        token = doc.nextToken;
        if (!token) break;
      }
      status.textContent = `following ${group} · ${seen.size} lines`;
    } catch (e) {
      if (e instanceof ApiError && e.code === "ResourceNotFoundException") status.textContent = empty;
      else showError(e);
    }
  };
  poll();
  every(1000, poll);
  return [h("h1", {}, title), h("div", { class: "toolbar" }, status), pre];
}

async function logsPage(arg) {
  // #/logs/<function>, or #/logs/group:<log group> for any group (an ECS task's awslogs group...)
  const [fns, groups] = await Promise.all([
    lambda("GET", "/2015-03-31/functions/").then((d) => d.Functions || []),
    pages("logs", "DescribeLogGroups", {}, "logGroups"),
  ]);
  const group = arg && arg.startsWith("group:") ? arg.slice(6) : null;
  const name = group ? null : arg || (fns[0] && fns[0].FunctionName);
  const go = (v) => { location.hash = `#/logs/${encodeURIComponent(v)}`; };
  const fnPicker = h("select", { id: "function-select", onchange: (e) => go(e.target.value) },
    h("option", { value: "", selected: !name }, "—"),
    fns.map((f) => h("option", { value: f.FunctionName, selected: f.FunctionName === name }, f.FunctionName)));
  const groupPicker = h("select", { id: "group-select", onchange: (e) => go("group:" + e.target.value) },
    h("option", { value: "", selected: !group }, "—"),
    groups.map((g) => h("option", { value: g.logGroupName, selected: g.logGroupName === group }, g.logGroupName)));
  const bar = h("div", { class: "toolbar" }, "Function ", fnPicker, " or log group ", groupPicker);
  if (group) return [bar, ...tail(group, state.region, `Logs of ${group}`, "no log lines yet")];
  if (!name) return [h("h1", {}, "Logs"), bar, h("p", { class: "muted" }, "Pick a function or a log group.")];
  return [bar, ...tail(`/aws/lambda/${name}`, state.region, `Logs of ${name}`, "no log lines yet")];
}

async function dnsPage(configId) {
  const configs = xmlAll(await route53("/2013-04-01/queryloggingconfig"), "QueryLoggingConfig").map((c) => ({
    id: xmlText(c, "Id"), zone: xmlText(c, "HostedZoneId"), arn: xmlText(c, "CloudWatchLogsLogGroupArn") }));
  if (!configs.length) {
    return [h("h1", {}, "DNS query log"), h("p", { class: "muted" }, "No query logging configuration: create one with CreateQueryLoggingConfig.")];
  }
  const c = configs.find((x) => x.id === configId) || configs[0];
  const group = c.arn.split(":log-group:")[1].replace(/:\*$/, "");
  const picker = h("select", { onchange: (e) => { location.hash = `#/dns/${e.target.value}`; } },
    configs.map((x) => h("option", { value: x.id, selected: x.id === c.id }, `${x.zone} → ${x.arn.split(":log-group:")[1]}`)));
  return [h("div", { class: "toolbar" }, "Zone ", picker), ...tail(group, "us-east-1", "DNS query log", "no queries logged yet")];
}

// --- routing -----------------------------------------------------------------------------------
const ROUTES = { "": overview, route53: route53Page, lambda: lambdaPage, sqs: sqsPage, ecs: ecsPage, ecr: ecrPage,
  costs: costsPage, metrics: metricsPage, logs: logsPage, dns: dnsPage };

const RETRY_MS = 3000; // a page that failed to load is tried again this often

async function route() {
  for (const id of timers) clearInterval(id);
  timers = [];
  const mine = ++shown;
  banner.hidden = true;
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?");
  const [page, ...rest] = path.split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : undefined; // a log group's name has slashes
  const fn = ROUTES[page] || overview;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("href") === `#/${page}`);
  if (strict && !keys()) {
    askKeys("This cloud runs with --auth strict: sign in with an access key.");
    main.replaceChildren(h("p", { class: "muted" }, "Waiting for keys."));
    return;
  }
  const calls = state.calls;
  const t0 = performance.now();
  let content;
  try {
    content = await (page === "metrics" ? fn(new URLSearchParams(qs || "")) : fn(arg));
  } catch (e) {
    if (mine !== shown) return dropped();
    main.replaceChildren(h("p", { class: "muted" }, "Could not load this page; trying again every few seconds."));
    main.dataset.page = "error";
    showError(e);
    if (!(e instanceof AuthError)) every(RETRY_MS, () => { if (!dialog.open) route(); });
    return;
  }
  // A slower page finishing after a newer navigation began must not replace what that one shows.
  if (mine !== shown) return dropped();
  main.replaceChildren(...[content].flat());
  main.dataset.page = page || "overview";
  main.dataset.calls = String(state.calls - calls);
  main.dataset.ms = String(Math.round(performance.now() - t0));
}

// Counts the pages built but not shown because a newer navigation came first (data-dropped).
function dropped() {
  main.dataset.dropped = String(Number(main.dataset.dropped || 0) + 1);
}

window.addEventListener("hashchange", route);
health().then((doc) => {
  strict = !doc.endpoints; // strict auth: the health document says nothing about the host
  route();
}).catch((e) => showError(e));
