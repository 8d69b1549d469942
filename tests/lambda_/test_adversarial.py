"""Bad functions fail alone, the way AWS reports them, and gureum stays healthy."""

from __future__ import annotations

import textwrap

import pytest
from lambda_helpers import ISOLATED, invoke_json, zip_of

isolated_only = pytest.mark.skipif(not ISOLATED, reason="needs root for namespaces and cgroups")

OK = "def handler(e, c):\n    return 'fine'\n"


@pytest.fixture
def healthy(lam, make_function, gureum):
    """After the test: gureum answers and an ordinary function still runs."""
    yield
    assert gureum.health()["services"]["lambda"]["state"] == "running"
    name = make_function(OK)
    assert invoke_json(lam, name)[1] == "fine"


def test_syntax_error_is_reported_as_user_code_syntax_error(lam, make_function, healthy):
    name = make_function("def handler(e, c)\n    return 1\n")
    resp, out = invoke_json(lam, name)
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.UserCodeSyntaxError"
    assert "Syntax error in module 'app'" in out["errorMessage"]


def test_missing_module_is_an_import_module_error(lam, make_function, healthy):
    name = make_function(OK, handler="nothere.handler")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ImportModuleError"
    assert out["errorMessage"].startswith("Unable to import module 'nothere'")


def test_missing_handler_is_handler_not_found(lam, make_function, healthy):
    name = make_function(OK, handler="app.nope")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.HandlerNotFound"
    assert out["errorMessage"] == "Handler 'nope' missing on module 'app'"


def test_exception_returns_aws_error_payload_and_keeps_the_environment(lam, make_function, healthy):
    code = "COUNT = 0\ndef handler(e, c):\n    global COUNT\n    COUNT += 1\n    if e.get('fail'):\n        raise ValueError('boom')\n    return COUNT\n"
    name = make_function(code)
    resp, out = invoke_json(lam, name, {"fail": True})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError" and out["errorMessage"] == "boom"
    assert isinstance(out["stackTrace"], list) and out["stackTrace"]
    assert invoke_json(lam, name, {})[1] == 2  # same warm environment


def test_sys_exit_is_a_runtime_exit_error(lam, make_function, healthy):
    name = make_function("import sys\ndef handler(e, c):\n    sys.exit(3)\n")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in out["errorMessage"]


def test_os_exit_during_init_is_a_runtime_exit_error(lam, make_function, healthy):
    name = make_function("import os\nos._exit(0)\ndef handler(e, c):\n    return 1\n")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"


def test_infinite_loop_times_out_and_next_invoke_gets_a_fresh_environment(lam, make_function, healthy):
    name = make_function("def handler(e, c):\n    while True:\n        pass\n", Timeout=1)
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in out["errorMessage"]
    lam.update_function_configuration(FunctionName=name, Timeout=3)
    lam.update_function_code(FunctionName=name, ZipFile=zip_of({"app.py": OK}))
    assert invoke_json(lam, name)[1] == "fine"


@isolated_only
def test_memory_hog_is_killed_as_out_of_memory(lam, make_function, healthy):
    code = "def handler(e, c):\n    blocks = []\n    while True:\n        blocks.append(bytearray(16 << 20))\n"
    name = make_function(code, MemorySize=128, Timeout=20)
    resp, out = invoke_json(lam, name, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.OutOfMemory"
    tail = __import__("base64").b64decode(resp["LogResult"]).decode()
    assert "Max Memory Used: 128 MB" in tail


@isolated_only
def test_fork_bomb_is_contained(lam, make_function, healthy):
    code = textwrap.dedent(
        """
        import os, time
        def handler(e, c):
            n = 0
            try:
                while True:
                    if os.fork() == 0:
                        time.sleep(60)
                        os._exit(0)
                    n += 1
            except OSError as exc:
                return {"forked": n, "error": type(exc).__name__}
        """
    )
    name = make_function(code, Timeout=30, MemorySize=1024)
    resp, out = invoke_json(lam, name)
    if "errorMessage" in out:  # a very busy host: the bomb ran out of time before the limit
        assert "Task timed out" in out["errorMessage"], out
    else:
        assert out.get("error") == "BlockingIOError", out
        assert out["forked"] < 1024


@isolated_only
def test_writes_outside_tmp_fail_and_tmp_works(lam, make_function, healthy):
    code = textwrap.dedent(
        """
        def handler(e, c):
            out = {}
            for path in ("/var/task/x", "/etc/x", "/x", "/usr/x", "/opt/x"):
                try:
                    open(path, "w").write("x")
                    out[path] = "written"
                except OSError as exc:
                    out[path] = type(exc).__name__
            open("/tmp/ok", "w").write("x")
            out["/tmp/ok"] = open("/tmp/ok").read()
            return out
        """
    )
    name = make_function(code)
    _, out = invoke_json(lam, name)
    assert out.pop("/tmp/ok") == "x"
    assert "written" not in out.values(), out


@isolated_only
def test_function_cannot_see_gureums_data_or_other_code(lam, make_function, healthy, gureum):
    other = make_function("SECRET = 'other function code'\ndef handler(e, c):\n    return 1\n")
    invoke_json(lam, other)
    code = textwrap.dedent(
        """
        import os
        def handler(e, c):
            found = []
            for root in e["paths"]:
                if os.path.exists(root):
                    found.append(root)
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
            return {"found": found, "procs": len(pids)}
        """
    )
    name = make_function(code)
    data_dir = str(gureum.data_dir.resolve())
    _, out = invoke_json(lam, name, {"paths": [data_dir, data_dir + "/state.db", data_dir + "/lambda/code"]})
    assert out["found"] == []
    assert out["procs"] <= 3  # its own pid namespace: init, the runtime (and maybe one more)


@isolated_only
def test_provided_runtime_without_bootstrap_is_an_invalid_entrypoint(lam, make_function, healthy):
    name = make_function({"main.sh": "echo hi\n"}, runtime="provided.al2023", handler="x")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.InvalidEntrypoint"
