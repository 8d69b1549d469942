"""python3.x on the CPython each declares: hello world, errors, the context object,
environment variables, sys.version, a compiled extension built for the declared version,
INIT_START naming the version that runs; AWS's deprecation policy (create/update refused
past the block dates with AWS's message, existing functions still run); the `refuse`
fallback; JSON logging; `gureum runtimes`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess
from lambda_helpers import TRUST, invoke_json, log_lines, zip_of
from waiting import wait_for

from gureum.services.lambda_.runtimes import RUNTIMES, python

ROOT = Path(__file__).resolve().parents[2]
PINNED = "2026-05-01"  # every python3.9..3.14 open for creation on AWS's calendar
PYTHONS = ["python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14"]

APP = textwrap.dedent(
    """
    import os
    import sys

    try:
        import hello  # a C extension built for the declared version, shipped in the zip
        EXT = hello.built_for()
    except ImportError as exc:
        EXT = "ImportError: %s" % exc


    def handler(event, context):
        print("hello from", sys.version)
        return {
            "version": "%d.%d" % sys.version_info[:2],
            "full": sys.version.split()[0],
            "ext": EXT,
            "event": event,
            "greeting": os.environ.get("GREETING"),
            "exec_env": os.environ.get("AWS_EXECUTION_ENV"),
            "request_id": context.aws_request_id,
            "arn": context.invoked_function_arn,
            "name": context.function_name,
            "fn_version": context.function_version,
            "memory": context.memory_limit_in_mb,
            "log_group": context.log_group_name,
            "log_stream": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        }


    def fail(event, context):
        raise ValueError("bad input: %s" % event.get("x"))
    """
)

EXTENSION = textwrap.dedent(
    """
    #include <Python.h>
    static PyObject *built_for(PyObject *self, PyObject *args) { return PyUnicode_FromString(PY_VERSION); }
    static PyMethodDef methods[] = {{"built_for", built_for, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
    static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "hello", NULL, -1, methods};
    PyMODINIT_FUNC PyInit_hello(void) { return PyModule_Create(&module); }
    """
)


def _extension(exe: str, tmp: Path) -> tuple[str, bytes]:
    """hello<EXT_SUFFIX> compiled with gcc against `exe`'s headers (no network)."""
    probe = "import sysconfig; print(sysconfig.get_paths()['include']); print(sysconfig.get_config_var('EXT_SUFFIX'))"
    include, suffix = subprocess.run([exe, "-c", probe], capture_output=True, text=True, check=True, timeout=60).stdout.split()
    src = tmp / "hello.c"
    src.write_text(EXTENSION)
    out = tmp / f"hello{suffix}"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", f"-I{include}", str(src), "-o", str(out)], check=True, timeout=120)
    return out.name, out.read_bytes()


@pytest.fixture(scope="module")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    """A gureum whose calendar is pinned where every python3.x is open for creation."""
    proc = GureumProcess(tmp_path_factory.mktemp("rtpy") / "data", ["--set", f"lambda.runtime_date={PINNED}"])
    proc.start()
    yield proc
    proc.stop()


def _role(g: GureumProcess) -> str:
    iam = g.client("iam")
    return str(iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"])


def _create(g: GureumProcess, role: str, runtime: str, files: dict[str, str | bytes], **kwargs: Any) -> str:
    name = f"py-{uuid.uuid4().hex[:10]}"
    g.client("lambda").create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=kwargs.pop("Handler", "app.handler"),
                                       Code={"ZipFile": zip_of(files)}, **kwargs)
    return name


def _log_lines(g: GureumProcess, name: str, pattern: str) -> list[str]:
    logs = g.client("logs")
    found: list[str] = []

    def seen() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern=pattern)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        found[:] = [e["message"] for e in events]
        return bool(found)

    wait_for(f"{pattern} in {name}'s log", seen, timeout=60)
    return found


@pytest.mark.parametrize("runtime", PYTHONS)
def test_python_runtime_runs_on_its_declared_version(pinned: GureumProcess, runtime: str, tmp_path: Path) -> None:
    tc = RUNTIMES[runtime].install()  # what `make runtimes` does (PyPI once, then the cache)
    assert tc.installed, tc
    want = runtime.removeprefix("python")
    declared = python.find(want)
    # Exact wherever a CPython of the declared version is on this host.
    assert tc.exact == (declared is not None)
    runs = ".".join(tc.version.split(".")[:2])
    ext_name, ext = _extension(tc.path, tmp_path)
    lam = pinned.client("lambda")
    name = _create(pinned, _role(pinned), runtime, {"app.py": APP, ext_name: ext},
                   Environment={"Variables": {"GREETING": "annyeong"}}, MemorySize=256)
    resp, out = invoke_json(lam, name, {"k": [1, 2]})
    assert "FunctionError" not in resp, out
    assert out["version"] == runs and out["full"] == tc.version
    if tc.exact:
        assert out["version"] == want
    # The extension built for the version that runs imports (a cp3X .so loads only on 3.X).
    assert out["ext"] == tc.version, out["ext"]
    assert out["event"] == {"k": [1, 2]} and out["greeting"] == "annyeong"
    assert out["exec_env"] == f"AWS_Lambda_{runtime}"
    assert out["name"] == name and out["fn_version"] == "$LATEST" and int(out["memory"]) == 256
    assert out["arn"].endswith(f":function:{name}") and out["log_group"] == f"/aws/lambda/{name}"
    assert out["request_id"] == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert 0 < out["remaining"] <= 3000
    [line] = _log_lines(pinned, name, '"INIT_START"')
    label = f"python:{want}.v{tc.version.split('.')[-1]}" if tc.exact else f"python:{tc.version} ({want} requested: nearest installed)"
    head, arn = line.split("\t")
    assert head == f"INIT_START Runtime Version: {label}"
    assert arn.startswith("Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:") and len(arn.rsplit(":", 1)[1]) == 64
    # errors: AWS's shape
    lam.update_function_configuration(FunctionName=name, Handler="app.fail")
    wait_for("the update", lambda: lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful", timeout=30)
    resp, err = invoke_json(lam, name, {"x": 7})
    assert resp["FunctionError"] == "Unhandled"
    assert err["errorType"] == "ValueError" and err["errorMessage"] == "bad input: 7"
    assert isinstance(err["stackTrace"], list) and any("app.py" in frame for frame in err["stackTrace"])
    lam.delete_function(FunctionName=name)


def test_a_wheel_for_another_version_fails_to_import(pinned: GureumProcess, tmp_path: Path) -> None:
    """The other side of the extension test: a cp312 extension does not load on 3.13."""
    other = python.find("3.12")
    if other is None or python.find("3.13") is None:
        pytest.skip("needs CPython 3.12 and 3.13")
    ext_name, ext = _extension(other.exe, tmp_path)
    RUNTIMES["python3.13"].install()
    name = _create(pinned, _role(pinned), "python3.13", {"app.py": APP, ext_name: ext})
    resp, out = invoke_json(pinned.client("lambda"), name)
    assert out["version"] == "3.13" and out["ext"].startswith("ImportError")


def test_deprecated_runtimes_are_refused_but_existing_functions_run(tmp_path: Path) -> None:
    g = GureumProcess(tmp_path / "data", ["--set", "lambda.runtime_date=2026-05-01"])
    g.start()
    try:
        role = _role(g)
        lam = g.client("lambda")
        RUNTIMES["python3.9"].install()
        old = _create(g, role, "python3.9", {"app.py": APP})  # deprecated (Dec 15, 2025) but still open for creation
        newer = _create(g, role, "python3.12", {"app.py": APP})
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            _create(g, role, "python3.8", {"app.py": APP})
        assert exc.value.response["Error"]["Message"] == (
            "The runtime parameter of python3.8 is no longer supported for creating or updating AWS Lambda functions. "
            "We recommend you use the new runtime (python3.14) while creating or updating functions.")
        # The calendar moves on past python3.9's block dates (create Jun 1, update Jul 1, 2026).
        g.stop()
        g.extra_args = ["--set", "lambda.runtime_date=2026-12-03"]
        g.start()
        lam = g.client("lambda")
        resp, out = invoke_json(lam, old)
        assert "FunctionError" not in resp and out["version"] == "3.9"
        message = ("The runtime parameter of python3.9 is no longer supported for creating or updating AWS Lambda functions. "
                   "We recommend you use the new runtime (python3.14) while creating or updating functions.")
        for attempt in (lambda: _create(g, role, "python3.9", {"app.py": APP}),
                        lambda: lam.update_function_configuration(FunctionName=old, Timeout=9),
                        lambda: lam.update_function_configuration(FunctionName=newer, Runtime="python3.9"),
                        lambda: lam.update_function_code(FunctionName=old, ZipFile=zip_of({"app.py": APP}))):
            with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
                attempt()
            assert exc.value.response["Error"]["Message"] == message
            assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert lam.get_function(FunctionName=old)["Configuration"]["Timeout"] == 3
        # A function on a supported runtime updates as usual; one on python3.9 may move off it.
        lam.update_function_configuration(FunctionName=newer, Timeout=9)
        moved = lam.update_function_configuration(FunctionName=old, Runtime="python3.12")
        assert moved["Runtime"] == "python3.12"
        # What AWS lists as neither supported nor deprecated is refused by the enum check.
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            _create(g, role, "python3.15", {"app.py": APP})
        assert "failed to satisfy constraint: Member must satisfy enum value set" in exc.value.response["Error"]["Message"]
    finally:
        g.stop()


def test_refuse_fallback_fails_the_init_naming_what_is_missing(tmp_path: Path) -> None:
    if python.find("3.14") is not None:
        pytest.skip("this host has CPython 3.14: nothing to fall back from")
    g = GureumProcess(tmp_path / "data", ["--set", "lambda.runtime_fallback=refuse"])
    g.start()
    try:
        lam = g.client("lambda")
        name = _create(g, _role(g), "python3.14", {"app.py": APP})
        resp, err = invoke_json(lam, name)
        assert resp["FunctionError"] == "Unhandled"
        assert err["errorType"] == "Runtime.Unavailable"
        assert "python3.14 cannot run as declared here" in err["errorMessage"] and "no CPython 3.14" in err["errorMessage"]
        [line] = _log_lines(g, name, '"INIT_START"')
        assert "(3.14 requested: nearest installed)" in line
        # python3.12 still runs as declared under the same setting
        RUNTIMES["python3.12"].install()
        ok = _create(g, _role(g), "python3.12", {"app.py": APP})
        resp, out = invoke_json(lam, ok)
        assert "FunctionError" not in resp and out["version"] == "3.12"
    finally:
        g.stop()


def test_json_log_format_reaches_the_runtime_client(pinned: GureumProcess) -> None:
    code = "import logging\nlogging.getLogger().setLevel(logging.INFO)\n\ndef handler(event, context):\n    logging.getLogger().info('structured %s', 42)\n    return 1\n"
    name = _create(pinned, _role(pinned), "python3.12", {"app.py": code}, LoggingConfig={"LogFormat": "JSON"})
    RUNTIMES["python3.12"].install()
    resp, _ = invoke_json(pinned.client("lambda"), name)
    assert "FunctionError" not in resp
    [line] = _log_lines(pinned, name, '"structured 42"')
    doc = json.loads(line)
    assert doc["message"] == "structured 42" and doc["level"] == "INFO" and doc["requestId"]


def test_gureum_runtimes_lists_every_runtime_with_what_runs_it() -> None:
    env = {**os.environ, "GUREUM_LAMBDA_RUNTIME_DATE": "2026-12-03"}
    out = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    rows = {r["runtime"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert set(rows) == set(RUNTIMES)
    assert rows["python3.12"]["state"] == "supported"
    assert rows["python3.9"]["state"] == "update blocked since 2026-07-01"
    assert rows["python3.11"]["state"] == "update blocked since 2026-08-31"
    assert rows["nodejs20.x"]["state"] == "update blocked since 2026-07-01"
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert rows[f"python{own}"]["exact"] and rows[f"python{own}"]["installed"] and rows[f"python{own}"]["version"] == sys.version.split()[0]
    if python.find("3.14") is None:
        assert not rows["python3.14"]["exact"] and "no CPython 3.14" in rows["python3.14"]["source"]
    text = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "python3.12", "python3.14"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].split()[:2] == ["RUNTIME", "STATE"] and [ln.split()[0] for ln in lines[1:]] == ["python3.12", "python3.14"]


def test_plain_processes_run_the_declared_version_too(tmp_path: Path) -> None:
    """Without isolated sandboxes (lambda.isolation=off) the same interpreters run."""
    g = GureumProcess(tmp_path / "data", ["--set", "lambda.isolation=off"])
    g.start()
    try:
        lam = g.client("lambda")
        role = _role(g)
        for runtime in ("python3.12", "python3.14"):
            tc = RUNTIMES[runtime].install()
            name = _create(g, role, runtime, {"app.py": APP}, Environment={"Variables": {"GREETING": "hi"}})
            resp, out = invoke_json(lam, name)
            assert "FunctionError" not in resp, out
            assert out["full"] == tc.version and out["greeting"] == "hi"
            if tc.exact:
                assert out["version"] == runtime.removeprefix("python")
    finally:
        g.stop()


def test_syntax_of_the_declared_version_compiles(pinned: GureumProcess) -> None:
    """python3.12 code using 3.12 syntax (PEP 695) runs: on an older interpreter it was a
    Runtime.UserCodeSyntaxError."""
    tc = RUNTIMES["python3.12"].install()
    if not tc.exact:
        pytest.skip("no CPython 3.12 on this host")
    code = "type Pair[T] = tuple[T, T]\n\ndef first[T](p: Pair[T]) -> T:\n    return p[0]\n\ndef handler(event, context):\n    return first((event['a'], 0))\n"
    name = _create(pinned, _role(pinned), "python3.12", {"app.py": code})
    resp, out = invoke_json(pinned.client("lambda"), name, {"a": 41})
    assert "FunctionError" not in resp and out == 41


def test_first_use_installs_what_the_runtime_lacks(tmp_path: Path) -> None:
    """On a host whose cache has nothing yet, the first invoke installs python3.13's
    awslambdaric and boto3 (from PyPI) and runs on 3.13; `gureum runtimes` then says installed."""
    if python.find("3.13") is None:
        pytest.skip("no CPython 3.13 on this host")
    cache = tmp_path / "cache"
    env = {"XDG_CACHE_HOME": str(cache)}
    g = GureumProcess(tmp_path / "data", env=env)
    g.start()
    try:
        listed = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "--json", "python3.13"], cwd=ROOT, capture_output=True,
                                text=True, timeout=300, env={**os.environ, **env})
        assert json.loads(listed.stdout)["installed"] is False
        name = _create(g, _role(g), "python3.13", {"app.py": APP})
        resp, out = invoke_json(g.client("lambda"), name)
        assert "FunctionError" not in resp, out
        assert out["version"] == "3.13"
        listed = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "--json", "python3.13"], cwd=ROOT, capture_output=True,
                                text=True, timeout=300, env={**os.environ, **env})
        row = json.loads(listed.stdout)
        assert row["installed"] is True and row["exact"] is True and "PyPI wheels" in row["source"]
    finally:
        g.stop()


@pytest.mark.parametrize("runtime", ["python3.12", "python3.14"])
def test_runtime_version_arn_is_the_one_init_start_names(pinned: GureumProcess, runtime: str) -> None:
    """RuntimeVersionConfig.RuntimeVersionArn of CreateFunction, GetFunction and
    GetFunctionConfiguration is the ARN the function's INIT_START line names (the declared
    version, or the nearest that stands in for it)."""
    RUNTIMES[runtime].install()
    lam = pinned.client("lambda")
    name = f"py-{uuid.uuid4().hex[:10]}"
    created = lam.create_function(FunctionName=name, Runtime=runtime, Role=_role(pinned), Handler="app.handler",
                                  Code={"ZipFile": zip_of({"app.py": APP})})
    arn = created["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert lam.get_function(FunctionName=name)["Configuration"]["RuntimeVersionConfig"]["RuntimeVersionArn"] == arn
    assert lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"]["RuntimeVersionArn"] == arn
    resp, out = invoke_json(lam, name)
    assert "FunctionError" not in resp, out
    [line] = _log_lines(pinned, name, '"INIT_START"')
    assert line.split("\t")[1] == f"Runtime Version ARN: {arn}"


def _all_lines(g: GureumProcess, name: str, until: str) -> list[str]:
    """Every line of the function's log group, once one contains `until`."""
    return log_lines(g, name, until, timeout=60)


def _platform_events(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and str(doc.get("type", "")).startswith("platform."):
            out.append(doc)
    return out


def test_json_log_format_writes_platform_events_as_json(pinned: GureumProcess) -> None:
    """LoggingConfig.LogFormat=JSON: Lambda's own lines are AWS's platform events as JSON
    (platform.initStart naming the runtime version and its ARN, platform.start, platform.report
    with its metrics), no text START/END/REPORT; SystemLogLevel DEBUG adds platform.runtimeDone,
    WARN leaves every INFO event out (the function's own log lines stay)."""
    RUNTIMES["python3.12"].install()
    code = "import logging\n\ndef handler(event, context):\n    logging.getLogger().warning('app line')\n    return 1\n"
    lam = pinned.client("lambda")
    role = _role(pinned)
    levels: dict[str, list[str]] = {}
    for level in ("INFO", "DEBUG", "WARN"):
        name = _create(pinned, role, "python3.12", {"app.py": code}, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": level})
        resp, _ = invoke_json(lam, name)
        assert "FunctionError" not in resp
        levels[level] = [name, resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]]
    name, request_id = levels["INFO"]
    lines = _all_lines(pinned, name, '"platform.report"')
    assert not [ln for ln in lines if ln.startswith(("START ", "END ", "REPORT ", "INIT_START "))], lines
    events = {e["type"]: e for e in _platform_events(lines)}
    assert set(events) == {"platform.initStart", "platform.start", "platform.report"}, lines
    init = events["platform.initStart"]["record"]
    config = lam.get_function_configuration(FunctionName=name)
    assert init["runtimeVersionArn"] == config["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert init["runtimeVersion"].startswith("python:3.12") and init["initializationType"] == "on-demand" and init["phase"] == "init"
    assert init["functionName"] == name and init["functionVersion"] == "$LATEST"
    assert events["platform.start"]["record"] == {"requestId": request_id, "version": "$LATEST"}
    report = events["platform.report"]
    assert report["time"].endswith("Z") and report["record"]["requestId"] == request_id and report["record"]["status"] == "success"
    metrics = report["record"]["metrics"]
    assert set(metrics) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}
    assert metrics["memorySizeMB"] == 128 and 0 < metrics["maxMemoryUsedMB"] <= 128 and metrics["billedDurationMs"] >= 1
    # DEBUG: the runtime's done event too
    name, request_id = levels["DEBUG"]
    events = {e["type"]: e for e in _platform_events(_all_lines(pinned, name, '"platform.report"'))}
    assert events["platform.runtimeDone"]["record"]["requestId"] == request_id
    assert events["platform.runtimeDone"]["record"]["status"] == "success"
    # a timeout: the report says so
    slow = _create(pinned, role, "python3.12", {"app.py": "import time\n\ndef handler(event, context):\n    time.sleep(30)\n"},
                   LoggingConfig={"LogFormat": "JSON"}, Timeout=1)
    resp, _ = invoke_json(lam, slow)
    assert resp["FunctionError"] == "Unhandled"
    events = {e["type"]: e for e in _platform_events(_all_lines(pinned, slow, '"platform.report"'))}
    assert events["platform.report"]["record"]["status"] == "timeout" and "errorType" not in events["platform.report"]["record"]
    # WARN: no INFO platform event; the application's WARN line is there
    name, _ = levels["WARN"]
    lines = _all_lines(pinned, name, "app line")
    assert _platform_events(lines) == [] and not [ln for ln in lines if ln.startswith(("START ", "REPORT "))], lines


def test_install_passes_where_a_runtime_has_no_source_here() -> None:
    """`gureum runtimes --install` (what `make runtimes` and CI run) exits 0 when a runtime no
    source here serves (dotnet10) can only be listed as "none"; it was exit 1 on every machine,
    which would stop CI's `make runtimes`."""
    out = subprocess.run([sys.executable, "-m", "gureum", "runtimes", "--install", "--json", "dotnet10", "python3.12"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    rows = {r["runtime"]: r for r in map(json.loads, out.stdout.splitlines())}
    assert out.returncode == 0, out.stdout + out.stderr
    assert rows["dotnet10"]["installed"] is False and rows["dotnet10"]["version"] == "" and ".NET 10" in rows["dotnet10"]["source"]
    assert rows["python3.12"]["installed"] is True
