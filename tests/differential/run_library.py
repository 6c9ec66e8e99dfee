#!/usr/bin/env python3
"""Run retry configurations through the retry libraries themselves, on a fake clock (fake.py).

Reads a JSON request on stdin:

    {"configs": [{"id": "t1", "library": "tenacity", "source": "retry(stop=stop_after_attempt(3))",
                  "pins": {"urllib3": "1.26.20"}, "passes": ["sync", "async"]}],
     "scripts": [{"name": "fail2", "steps": [{"error": "ConnectionError", "duration": 0, "hint": null}, ...]}],
     "probes": [0.25, 0.75]}

and writes, for every (config, pass, script, probe), what the library did:

    {"config": "t1", "pass": "sync", "script": "fail2", "probe": 0.25, "attempts": 3, "sleeps": [1.0, 2.0],
     "outcome": "returned" | "raised:ConnectionError" | "script_exhausted" | "error:<why the config does not run>"}

`pins` are the versions this process must be running (a second urllib3 is put first on PYTHONPATH by the caller);
a mismatch fails the whole run rather than proving a config against the wrong version.

The `async` pass runs the same configuration on a coroutine under asyncio, with `asyncio.sleep` on the fake
clock: tenacity's `@retry` and backoff's and stamina's decorators on an `async def`, tenacity `Retrying(...)`
spelled `AsyncRetrying(...)` and google-api-core `Retry(...)` spelled `AsyncRetry(...)` (the async classes take
the same arguments).

An outcome script step raises the named exception (a builtin, `asyncio.CancelledError`) after its duration, or
returns "ok"; a step's `hint` is a Retry-After in seconds, carried as an HTTP 503 response's header for the HTTP
libraries and as a `retry_after` attribute otherwise. botocore's mapping is in run_botocore.py.
"""
import asyncio
import datetime as real_datetime
import json
import re
import sys
import time
import warnings

from fake import CLOCK, HOOK_CALLS, RETRYABLE, Operation, ScriptExhausted, fallback, install_clock, is_transient
from fake import log_retry, qualified
from run_botocore import run_botocore
from run_http import run_urllib3

warnings.simplefilter("ignore")

# The libraries whose decorators also take coroutines (the async pass).
ASYNC_LIBRARIES = ("tenacity", "backoff", "stamina", "google-api-core")


def namespace(library):
    ns = {}
    if library == "tenacity":
        import tenacity

        ns.update({k: getattr(tenacity, k) for k in dir(tenacity) if not k.startswith("_")})
        ns["tenacity"] = tenacity
    elif library == "backoff":
        import backoff

        ns["backoff"] = backoff
        ns.update({k: getattr(backoff, k) for k in dir(backoff) if not k.startswith("_")})
    elif library == "stamina":
        import stamina

        stamina.instrumentation.set_on_retry_hooks([])
        ns["stamina"] = stamina
        ns["retry"] = stamina.retry
    elif library == "google-api-core":
        from google.api_core import retry as gretry

        ns["retry"] = gretry
        ns["Retry"] = gretry.Retry
        ns["AsyncRetry"] = gretry.AsyncRetry
        ns["if_exception_type"] = gretry.if_exception_type
    elif library in ("urllib3", "requests"):
        import requests.adapters
        import urllib3

        ns["urllib3"] = urllib3
        ns["Retry"] = urllib3.util.Retry
        ns["HTTPAdapter"] = requests.adapters.HTTPAdapter
    elif library == "botocore":
        import botocore.config

        ns["botocore"] = botocore
        ns["Config"] = botocore.config.Config
    ns["log_retry"] = log_retry
    ns["fallback"] = fallback
    ns["is_transient"] = is_transient
    ns["RETRYABLE"] = RETRYABLE
    ns["asyncio"] = asyncio
    ns["time"] = time
    ns["datetime"] = real_datetime
    return ns


def async_spelling(library, source):
    """The async class where a config names the sync one (same arguments)."""
    if library == "tenacity":
        return re.sub(r"\bRetrying\(", "AsyncRetrying(", source)
    if library == "google-api-core":
        return re.sub(r"\bRetry\(", "AsyncRetry(", source)
    return source


def run_sync(library, made, op):
    if library == "urllib3":
        return run_urllib3(made, op)
    if library == "requests":
        return run_urllib3(made.max_retries, op)
    if library == "botocore":
        return run_botocore(made, op)

    def operation():
        return op()

    if library == "tenacity" and type(made).__name__ == "Retrying":
        return made(operation)
    return made(operation)()


def run_async(library, made, op):
    async def operation():
        return op()

    async def main():
        if library == "tenacity" and type(made).__name__ == "AsyncRetrying":
            return await made(operation)
        return await made(operation)()

    return asyncio.run(main())


def run_one(config, mode, script, probe):
    install_clock(probe)
    HOOK_CALLS.clear()
    library = config["library"]
    op = Operation(script["steps"])
    record = {"config": config["id"], "pass": mode, "script": script["name"], "probe": probe}
    source = async_spelling(library, config["source"]) if mode == "async" else config["source"]
    try:
        made = eval(source, namespace(library))
    except Exception as e:  # the config does not run: no attempt is made
        return {**record, "attempts": 0, "sleeps": [], "outcome": f"error:{type(e).__name__}: {e}", "hooks": 0}
    try:
        result = run_async(library, made, op) if mode == "async" else run_sync(library, made, op)
        outcome = "returned" if result == "ok" else f"returned:{result!r}"
    except ScriptExhausted:
        outcome = "script_exhausted"
    except TypeError as e:
        # A keyword the library does not take surfaces when the decorator is applied or first called.
        outcome = f"error:TypeError: {e}" if op.calls == 0 else f"raised:{qualified(e)}"
    except BaseException as e:  # noqa: B902 - cancellation is an outcome too
        outcome = f"raised:{qualified(e)}"
    return {**record, "attempts": op.calls, "sleeps": list(CLOCK.sleeps), "outcome": outcome,
            "hooks": len(HOOK_CALLS)}


def check_pins(pins):
    for package, wanted in (pins or {}).items():
        module = __import__(package)
        if module.__version__ != wanted:
            sys.exit(f"{package} {wanted} wanted, {module.__version__} imported from {module.__file__}")


def main():
    request = json.load(sys.stdin)
    out = []
    for config in request["configs"]:
        check_pins(config.get("pins"))
        for mode in config.get("passes", ["sync"]):
            if mode == "async" and config["library"] not in ASYNC_LIBRARIES:
                sys.exit(f"{config['id']}: {config['library']} has no async pass")
            for script in request["scripts"]:
                for probe in request["probes"]:
                    out.append(run_one(config, mode, script, probe))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
