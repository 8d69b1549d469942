"""The web console in a real headless Chromium (DevTools protocol, tests/console/cdp.py):
every page loads with no console error, lists show what the APIs created, the metric chart
draws one point per datapoint, the costs chart its days, and a function's log tail shows a
line written after the page opened. Screenshots are saved under the test's tmp dir."""

from __future__ import annotations

import io
import json
import os
import subprocess
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from harness import GureumProcess
from waiting import wait_for

from .cdp import Browser, Page, chromium_path

if chromium_path() is None and os.environ.get("CI", "").lower() in ("", "0", "false", "no"):
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def g(tmp_path_factory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("console") / "data", env={"GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3",
                                                                                   "GUREUM_ROUTE53_HEALTH_INTERVAL_SCALE": "0.02"})
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    b = Browser.start()
    yield b
    b.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    p = browser.page()
    yield p
    p.ws.close()


def _open(page: Page, g: GureumProcess, hash_: str, want: str) -> None:
    """Open the console at `hash_` and wait until `want` (a JS condition) holds on the page."""
    page.navigate(f"{g.endpoint}/_gureum/console#{hash_}")
    wait_for(f"console page {hash_}", lambda: page.evaluate(f"!!(document.getElementById('main') && ({want}))"), timeout=60, interval=0.2)


def _text() -> str:
    return "document.getElementById('main').innerText"


@pytest.fixture(scope="module")
def resources(g) -> dict:
    r53 = g.client("route53")
    zone = r53.create_hosted_zone(Name="console.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"].split("/")[-1]
    down = r53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig={  # nothing listens on port 9
        "Type": "TCP", "IPAddress": "127.0.0.1", "Port": 9, "RequestInterval": 10, "FailureThreshold": 1})["HealthCheck"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "www.console.test", "Type": "A", "TTL": 60,
                                                   "ResourceRecords": [{"Value": "192.0.2.10"}]}},
        {"Action": "CREATE", "ResourceRecordSet": {"Name": "hc.console.test", "Type": "A", "TTL": 60, "SetIdentifier": "p",
                                                   "Failover": "PRIMARY", "HealthCheckId": down,
                                                   "ResourceRecords": [{"Value": "192.0.2.11"}]}}]})
    sqs = g.client("sqs")
    url = sqs.create_queue(QueueName="console-queue")["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    print(e.get('say', 'hello'))\n    return 1\n")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = g.client("iam").create_role(RoleName=f"console-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust))
    lam = g.client("lambda")
    fn = f"console-fn-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()})
    lam.get_waiter("function_active_v2").wait(FunctionName=fn)
    lam.invoke(FunctionName=fn, Payload=json.dumps({"say": "first"}).encode())
    cw = g.client("cloudwatch")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cw.put_metric_data(Namespace="Console/Test", MetricData=[
        {"MetricName": "Points", "Timestamp": now - timedelta(minutes=5 * k), "Value": float(k + 1)} for k in range(7)])
    cw.put_metric_data(Namespace="Console/Test", MetricData=[  # "Calls" of three functions: 2, 3 and 4 datapoints
        {"MetricName": "Calls", "Dimensions": [{"Name": "FunctionName", "Value": f"console-f{n}"}],
         "Timestamp": now - timedelta(minutes=5 * k), "Value": float(n)} for n in (1, 2, 3) for k in range(n + 1)])
    g.client("ecs").create_cluster(clusterName="console-cluster")
    g.client("ecr").create_repository(repositoryName="console-repo")
    return {"zone": zone, "fn": fn, "lam": lam}


def test_pages_show_what_the_apis_created(g, resources, page, tmp_path: Path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    checks = [
        ("/", "main.dataset.page === 'overview'", ["Functions", "Hosted zones"]),
        ("/route53", "main.dataset.page === 'route53'", ["console.test."]),
        (f"/route53/{resources['zone']}", "main.innerText.includes('www.console.test')", ["192.0.2.10"]),
        ("/lambda", "main.dataset.page === 'lambda'", [resources["fn"]]),
        ("/sqs", "main.dataset.page === 'sqs'", ["console-queue"]),
        ("/ecs", "main.dataset.page === 'ecs'", ["console-cluster"]),
        ("/ecr", "main.dataset.page === 'ecr'", ["console-repo"]),
        ("/dns", "main.dataset.page === 'dns'", ["query logging"]),
    ]
    for hash_, ready, texts in checks:
        _open(page, g, hash_, f"(main => {ready})(document.getElementById('main'))")
        shown = page.evaluate(_text())
        for t in texts:
            assert t in shown, (hash_, t, shown)
        page.screenshot(shots / f"{(hash_.strip('/').replace('/', '-') or 'overview')}.png")
    page.pump()
    assert page.errors == []
    assert len(list(shots.glob("*.png"))) == len(checks)


# The browser's own fetch, wrapped: the first Route 53 zone listing is held until __release() (or
# refused, with `refuse`), so a test decides the order in which the console's requests finish.
_HOLD_FIRST_ZONE_LIST = """(refuse => {
  const real = window.fetch;
  let first = true;
  window.__released = new Promise((r) => { window.__release = r; });
  window.__zoneLists = 0;
  window.fetch = (url, init) => {
    if (String(url).startsWith('/2013-04-01/hostedzone')) window.__zoneLists += 1;
    if (first && String(url).startsWith('/2013-04-01/hostedzone')) {
      first = false;
      if (refuse) return Promise.reject(new TypeError('the network is down'));
      return window.__released.then(() => real(url, init));
    }
    return real(url, init);
  };
})"""


def test_a_page_that_finishes_after_a_newer_navigation_is_not_shown(g, resources, page):
    _open(page, g, "/sqs", "main.dataset.page === 'sqs'")
    page.evaluate(f"{_HOLD_FIRST_ZONE_LIST}(false)")
    page.evaluate("location.hash = '#/route53'")  # its zone listing is held
    page.evaluate("location.hash = '#/ecr'")
    wait_for("the newer page", lambda: page.evaluate("document.getElementById('main').dataset.page === 'ecr'"), timeout=60, interval=0.2)
    page.evaluate("window.__release()")
    wait_for("the older page built and dropped", lambda: page.evaluate("document.getElementById('main').dataset.dropped === '1'"),
             timeout=60, interval=0.2)
    assert page.evaluate("document.getElementById('main').dataset.page") == "ecr"
    assert "console-repo" in page.evaluate(_text())
    assert page.evaluate("location.hash") == "#/ecr"


def test_a_page_that_failed_to_load_tries_again_by_itself(g, resources, page):
    _open(page, g, "/sqs", "main.dataset.page === 'sqs'")
    page.evaluate(f"{_HOLD_FIRST_ZONE_LIST}(true)")
    page.evaluate("location.hash = '#/route53'")  # its first zone listing is refused: the page fails
    wait_for("the zones, on a later try", lambda: page.evaluate("document.getElementById('main').dataset.page === 'route53'"),
             timeout=60, interval=0.2)
    assert "console.test." in page.evaluate(_text())
    assert page.evaluate("window.__zoneLists") >= 2  # the refused listing, then a retry's
    assert page.evaluate("document.getElementById('banner').hidden") is True


def test_metric_chart_draws_one_point_per_datapoint(g, resources, page, tmp_path: Path):
    metric = "Console/Test|Points"
    _open(page, g, f"/metrics?m={metric.replace('|', '%7C')}&r=3h&s=Sum", "document.querySelector('svg[data-points]')")
    assert page.evaluate("document.querySelector('svg[data-points]').dataset.points") == "7"
    assert page.evaluate("document.querySelectorAll('svg[data-points] circle.point').length") == 7
    page.evaluate("document.querySelector('button[data-range=\"1h\"]').click()")  # the range picker: the last hour holds all 7
    wait_for("the 1 h range", lambda: page.evaluate("location.hash.includes('r=1h') && document.querySelectorAll('svg[data-points] circle.point').length === 7"),
             timeout=30, interval=0.2)
    page.screenshot(tmp_path / "metrics.png")
    page.pump()
    assert page.errors == []


def test_metric_chart_draws_several_series_with_a_legend(g, resources, page, tmp_path: Path):
    every_function = "Console/Test|Calls|FunctionName=*"  # one series per dimension value
    # (the tab may still show the last test's chart until the new hash renders: wait for three series)
    _open(page, g, f"/metrics?m={quote(every_function, safe='')}&r=3h&s=Sum", "document.querySelector('svg[data-series=\"3\"]')")
    assert page.evaluate("document.querySelector('svg[data-points]').dataset.points") == "9"  # 2 + 3 + 4
    assert page.evaluate("[...document.querySelectorAll('.chart .legend span')].map((e) => e.textContent)") == [
        f"Calls FunctionName=console-f{n}" for n in (1, 2, 3)]
    assert page.evaluate("new Set([...document.querySelectorAll('svg[data-points] polyline')].map((e) => e.getAttribute('stroke'))).size") == 3
    assert page.evaluate(f"[...document.getElementById('metric-select').options].some((o) => o.value === {json.dumps(every_function)})")
    # two metrics picked in the picker: one chart, two series
    two = ["Console/Test|Points", "Console/Test|Calls|FunctionName=console-f1"]
    page.evaluate(f"""(() => {{ const s = document.getElementById('metric-select'); const want = {json.dumps(two)};
        for (const o of s.options) o.selected = want.includes(o.value);
        s.dispatchEvent(new Event('change')); }})()""")
    wait_for("two metrics on one chart", lambda: page.evaluate(
        "(s => !!s && s.dataset.series === '2' && s.dataset.points === '9')(document.querySelector('svg[data-points]'))"),
        timeout=30, interval=0.2)
    assert sorted(page.evaluate("[...document.querySelectorAll('.chart .legend span')].map((e) => e.textContent)")) == [
        "Calls FunctionName=console-f1", "Points"]  # in the picker's order
    page.screenshot(tmp_path / "metrics-several.png")
    page.pump()
    assert page.errors == []


def test_costs_chart_has_its_days(g, resources, page, tmp_path: Path):
    _open(page, g, "/costs", "document.querySelector('svg[data-bars]')")
    assert int(page.evaluate("document.querySelector('svg[data-bars]').dataset.bars")) >= 14
    assert "Last 14 days" in page.evaluate(_text())
    page.screenshot(tmp_path / "costs.png")
    page.pump()
    assert page.errors == []


def test_log_tail_shows_a_line_written_after_the_page_opened(g, resources, page, tmp_path: Path):
    fn = resources["fn"]
    _open(page, g, f"/logs/{fn}", "document.getElementById('tail') && document.getElementById('tail').innerText.includes('first')")
    token = f"written-after-{uuid.uuid4().hex[:8]}"
    resources["lam"].invoke(FunctionName=fn, Payload=json.dumps({"say": token}).encode())
    wait_for("the new line in the tail", lambda: token in page.evaluate("document.getElementById('tail').innerText"), timeout=60, interval=0.3)
    page.screenshot(tmp_path / "logs.png")
    page.pump()
    assert page.errors == []


def test_strict_auth_asks_for_keys_and_signs_with_them(browser, tmp_path: Path):
    key, secret = "AKIDCONSOLE1", "console-s3cr3t"
    g = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict", "--set", f"auth.keys={key}:{secret}:111122223333"])
    g.start()
    page = browser.page()
    try:
        g.client("sqs", aws_access_key_id=key, aws_secret_access_key=secret).create_queue(QueueName="strict-queue")
        page.navigate(f"{g.endpoint}/_gureum/console#/sqs")
        page.evaluate("localStorage.clear()")
        page.navigate(f"{g.endpoint}/_gureum/console#/sqs")
        wait_for("the keys dialog", lambda: page.evaluate("document.getElementById('keys-dialog').open"), timeout=30, interval=0.2)
        page.screenshot(tmp_path / "keys.png")
        # wrong keys: the cloud refuses the signature and the dialog comes back
        page.evaluate("(() => { const f = document.getElementById('keys-form'); f.key.value = 'AKIDWRONG'; f.secret.value = 'nope';"
                      " document.getElementById('keys-dialog').close('save'); })()")
        wait_for("the dialog again after a refused signature", lambda: page.evaluate("document.getElementById('keys-dialog').open"),
                 timeout=30, interval=0.2)
        page.evaluate(f"(() => {{ const f = document.getElementById('keys-form'); f.key.value = '{key}'; f.secret.value = '{secret}';"
                      " document.getElementById('keys-dialog').close('save'); })()")
        wait_for("the queue, listed with the right keys", lambda: "strict-queue" in (page.evaluate(
            "document.getElementById('main').dataset.page === 'sqs' ? document.getElementById('main').innerText : ''") or ""),
            timeout=30, interval=0.2)
        assert page.evaluate("JSON.parse(localStorage.getItem('gureum.keys')).key") == key
        page.pump()
        assert [e for e in page.errors if "Failed to load resource" not in e] == []  # the refused request itself is logged by Chromium
    finally:
        page.ws.close()
        g.stop()


def test_zone_records_show_live_health(g, resources, page, tmp_path: Path):
    zone = resources["zone"]

    def unhealthy_shown() -> bool:
        _open(page, g, f"/route53/{zone}", "main.innerText.includes('hc.console.test')")
        row = page.evaluate("[...document.querySelectorAll('tr')].map(r => r.innerText).find(t => t.includes('hc.console.test')) || ''")
        return "unhealthy" in row

    wait_for("the failing check's record marked unhealthy", unhealthy_shown, timeout=60, interval=0.5)
    page.screenshot(tmp_path / "zone-health.png")
    page.pump()
    assert page.errors == []


def test_dns_query_log_shows_a_query_made_after_the_page_opened(g, resources, page, tmp_path: Path):
    group = f"/aws/route53/console-{uuid.uuid4().hex[:6]}"
    g.client("logs", region="us-east-1").create_log_group(logGroupName=group)
    g.client("route53").create_query_logging_config(HostedZoneId=resources["zone"],
                                                    CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:*")
    _open(page, g, "/dns", "document.getElementById('tail')")
    name = f"q{uuid.uuid4().hex[:6]}.console.test"

    def logged() -> bool:  # queries go on until logging has started on the DNS server
        subprocess.run(["dig", "@127.0.0.1", "-p", str(g.dns_port), "+short", "+tries=1", name, "A"], capture_output=True, timeout=30)
        return name in page.evaluate("document.getElementById('tail').innerText")

    wait_for("the query in the page's tail", logged, timeout=60, interval=0.5)
    page.screenshot(tmp_path / "dns-log.png")
    page.pump()
    assert page.errors == []


def test_any_log_group_can_be_followed(g, resources, page, tmp_path: Path):
    logs = g.client("logs")
    group = f"/ecs/console-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="web/task1")
    _open(page, g, f"/logs/group:{group}", "document.getElementById('tail') && main.dataset.page === 'logs'")
    line = f"task line {uuid.uuid4().hex[:8]}"
    logs.put_log_events(logGroupName=group, logStreamName="web/task1",
                        logEvents=[{"timestamp": int(datetime.now(UTC).timestamp() * 1000), "message": line}])
    wait_for("the task's line in the tail", lambda: line in page.evaluate("document.getElementById('tail').innerText"), timeout=60, interval=0.3)
    assert page.evaluate("document.getElementById('group-select').value") == group
    page.pump()
    assert page.errors == []
