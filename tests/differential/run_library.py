#!/usr/bin/env python3
"""Run retry configurations through the retry libraries themselves, on a fake clock.

Reads a JSON request on stdin:

    {"configs": [{"id": "t1", "library": "tenacity", "source": "retry(stop=stop_after_attempt(3))"}],
     "scripts": [{"name": "fail2", "steps": [{"error": "ConnectionError", "duration": 0, "hint": null}, ...]}],
     "probes": [0.25, 0.75]}

and writes, for every (config, script, probe), what the library did:

    {"config": "t1", "script": "fail2", "probe": 0.25, "attempts": 3, "sleeps": [1.0, 2.0],
     "outcome": "returned" | "raised:ConnectionError" | "script_exhausted" | "error:<why the config does not run>"}

The clock is fake: `time.monotonic`, `time.time`, `time.sleep` and backoff's `datetime.now` read and advance one
counter; an attempt advances it by its scripted duration; a sleep advances it by the slept time and is recorded.
Every random draw (`random.random`, and through it `random.uniform`) returns the probe, so a jittered library is
pinned: `uniform(a, b) = a + (b - a) * probe`.

An outcome script step raises the named exception (a builtin, `asyncio.CancelledError`) after its duration, or
returns "ok"; a step's `hint` is a Retry-After in seconds, carried as an HTTP 503 response's header for the HTTP
libraries and as a `retry_after` attribute otherwise.
"""
import asyncio
import builtins
import datetime as real_datetime
import json
import random
import sys
import time
import warnings

warnings.simplefilter("ignore")


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        seconds = float(seconds)
        self.sleeps.append(seconds)
        self.now += seconds


CLOCK = Clock()
EPOCH = 1_700_000_000.0


class FakeDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return real_datetime.datetime.fromtimestamp(EPOCH + CLOCK.now, tz)


class FakeDatetimeModule:
    datetime = FakeDatetime
    timedelta = real_datetime.timedelta


def install_clock(probe):
    time.monotonic = lambda: CLOCK.now
    time.time = lambda: EPOCH + CLOCK.now
    time.perf_counter = lambda: CLOCK.now
    time.sleep = CLOCK.sleep
    random._inst.random = lambda: probe
    random.random = lambda: probe
    try:
        import backoff._sync

        backoff._sync.datetime = FakeDatetimeModule
    except ImportError:
        pass


HOOK_CALLS = []


def log_retry(*args, **kwargs):
    """A hook that only observes (what `before_sleep=`, `on_backoff=`, `on_error=` are usually given)."""
    HOOK_CALLS.append(1)


def fallback(*args, **kwargs):
    """A callback whose return value replaces the outcome (`retry_error_callback=`)."""
    HOOK_CALLS.append(1)
    return "fallback"


def is_transient(exc):
    """A predicate handed where a class could go (`on=is_transient`)."""
    return isinstance(exc, ConnectionError)


RETRYABLE = (ConnectionError, TimeoutError)


class ScriptExhausted(BaseException):
    """The script ran out: the library wanted another attempt (unbounded or longer than scripted)."""


def exception_class(name):
    if name == "asyncio.CancelledError":
        return asyncio.CancelledError
    cls = getattr(builtins, name, None)
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return cls
    raise ValueError(f"unknown exception class {name}")


def qualified(exc):
    cls = type(exc)
    if cls.__module__ == "builtins":
        return cls.__name__
    if cls is asyncio.CancelledError:
        return "asyncio.CancelledError"
    return f"{cls.__module__}.{cls.__qualname__}"


class Operation:
    """The retried callable: each call runs the next scripted step."""

    def __init__(self, steps):
        self.steps = steps
        self.calls = 0

    def step(self):
        if self.calls >= len(self.steps):
            raise ScriptExhausted()
        step = self.steps[self.calls]
        self.calls += 1
        CLOCK.now += step.get("duration", 0) or 0
        return step

    def __call__(self, *args, **kwargs):
        step = self.step()
        if step.get("error") is None:
            return "ok"
        exc = exception_class(step["error"])()
        if step.get("hint") is not None:
            exc.retry_after = step["hint"]
        raise exc


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
        ns["if_exception_type"] = gretry.if_exception_type
    elif library in ("urllib3", "requests"):
        import requests.adapters
        import urllib3

        ns["urllib3"] = urllib3
        ns["Retry"] = urllib3.util.Retry
        ns["HTTPAdapter"] = requests.adapters.HTTPAdapter
    ns["log_retry"] = log_retry
    ns["fallback"] = fallback
    ns["is_transient"] = is_transient
    ns["RETRYABLE"] = RETRYABLE
    ns["asyncio"] = asyncio
    ns["time"] = time
    ns["datetime"] = real_datetime
    return ns


def decorated(library, config, op):
    """The callable the config makes of `op`."""
    if library == "tenacity" and type(config).__name__ in ("Retrying",):
        return lambda: config(op)
    if library == "google-api-core":
        return config(op)
    return config(op)


def run_urllib3(retry, op):
    """urllib3's connection-pool loop (`HTTPConnectionPool.urlopen`): a raised error is a connect/read error
    counted by `increment`; a Retry-After hint is a 503 response, retried when 503 is in the status forcelist."""
    from urllib3.exceptions import MaxRetryError, ProtocolError
    from urllib3.response import HTTPResponse

    while True:
        try:
            step = op.step()
        except ScriptExhausted:
            raise
        if step.get("error") is None:
            return "ok"
        if step.get("hint") is not None:
            response = HTTPResponse(status=503, headers={"Retry-After": str(step["hint"])}, preload_content=False)
            if not retry.is_retry("GET", 503, has_retry_after=True):
                return "ok"
            try:
                retry = retry.increment("GET", "/", response=response)
            except MaxRetryError:
                raise exception_class(step["error"])()
            retry.sleep(response)
            continue
        error = ProtocolError("connection aborted")
        try:
            retry = retry.increment("GET", "/", error=error)
        except MaxRetryError:
            raise exception_class(step["error"])()
        retry.sleep()


def run_one(config, script, probe):
    CLOCK.now = 0.0
    CLOCK.sleeps = []
    HOOK_CALLS.clear()
    install_clock(probe)
    library = config["library"]
    op = Operation(script["steps"])
    try:
        made = eval(config["source"], namespace(library))
    except Exception as e:  # the config does not run: no attempt is made
        return {"config": config["id"], "script": script["name"], "probe": probe, "attempts": 0, "sleeps": [],
                "outcome": f"error:{type(e).__name__}: {e}", "hooks": 0}
    try:
        if library == "urllib3":
            result = run_urllib3(made, op)
        elif library == "requests":
            result = run_urllib3(made.max_retries, op)
        else:

            def operation():
                return op()

            result = decorated(library, made, operation)()
        outcome = "returned" if result == "ok" else f"returned:{result!r}"
    except ScriptExhausted:
        outcome = "script_exhausted"
    except TypeError as e:
        # A keyword the library does not take surfaces when the decorator is applied or first called.
        outcome = f"error:TypeError: {e}" if op.calls == 0 else f"raised:{qualified(e)}"
    except BaseException as e:  # noqa: B902 - cancellation is an outcome too
        outcome = f"raised:{qualified(e)}"
    return {
        "config": config["id"],
        "script": script["name"],
        "probe": probe,
        "attempts": op.calls,
        "sleeps": list(CLOCK.sleeps),
        "outcome": outcome,
        "hooks": len(HOOK_CALLS),
    }


def main():
    request = json.load(sys.stdin)
    out = []
    for config in request["configs"]:
        for script in request["scripts"]:
            for probe in request["probes"]:
                out.append(run_one(config, script, probe))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
