"""The fake world every library runs in: one clock, pinned random draws, scripted operations.

`time.monotonic`, `time.time`, `time.perf_counter`, `time.sleep`, `asyncio.sleep` and backoff's `datetime.now`
read and advance one counter; an attempt advances it by its scripted duration; a sleep advances it by the slept
time and is recorded. Every random draw (`random.random`, and through it `random.uniform`) returns the probe, so a
jittered library is pinned: `uniform(a, b) = a + (b - a) * probe`.
"""
import asyncio
import builtins
import datetime as real_datetime
import random
import time


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []
        self.probe = 0.0

    def sleep(self, seconds):
        seconds = float(seconds)
        self.sleeps.append(seconds)
        self.now += seconds

    def reset(self, probe):
        self.now = 0.0
        self.sleeps = []
        self.probe = probe


CLOCK = Clock()
EPOCH = 1_700_000_000.0


class FakeDatetime(real_datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return real_datetime.datetime.fromtimestamp(EPOCH + CLOCK.now, tz)


class FakeDatetimeModule:
    datetime = FakeDatetime
    timedelta = real_datetime.timedelta


async def async_sleep(seconds, result=None):
    """`asyncio.sleep` on the fake clock: records the sleep and returns at once (what the libraries await)."""
    CLOCK.sleep(seconds)
    return result


def install_clock(probe):
    CLOCK.reset(probe)
    time.monotonic = lambda: CLOCK.now
    time.time = lambda: EPOCH + CLOCK.now
    time.perf_counter = lambda: CLOCK.now
    time.sleep = CLOCK.sleep
    asyncio.sleep = async_sleep
    random._inst.random = lambda: probe
    random.random = lambda: probe
    try:
        import backoff._async
        import backoff._sync

        # backoff measures max_time with datetime.now(), not time.
        backoff._sync.datetime = FakeDatetimeModule
        backoff._async.datetime = FakeDatetimeModule
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
        """The next step, after its scripted duration has passed on the clock."""
        if self.calls >= len(self.steps):
            raise ScriptExhausted()
        step = self.steps[self.calls]
        self.calls += 1
        CLOCK.now += step.get("duration", 0) or 0
        return step

    def last_error(self):
        """The error the last step run was scripted to raise (an HTTP library's give-up is reported as it)."""
        return self.steps[self.calls - 1].get("error") if self.calls else None

    def __call__(self, *args, **kwargs):
        step = self.step()
        if step.get("error") is None:
            return "ok"
        exc = exception_class(step["error"])()
        if step.get("hint") is not None:
            exc.retry_after = step["hint"]
        raise exc
