"""Truth oracle for fixtures/rules/attempt_counts/loops.py.

Runs every retry loop of the fixture against an operation that always fails, with `time.sleep` and
`asyncio.sleep` patched to record instead of wait, and prints what each loop did as JSON:
`{symbol: {"attempts": n, "sleeps": [seconds, ...], "bound": {name: value}}}`. `bound` gives the values of
names the scanner cannot see (a config passed in at run time), so a count reported as an expression can be
checked too. Usage: `python3 attempt_oracle.py path/to/loops.py`.
"""
import asyncio
import importlib.util
import inspect
import json
import sys
import time
import types


class Down(ConnectionError, TimeoutError):
    """One failure every loop of the fixture retries (they catch ConnectionError, OSError or TimeoutError)."""


def load(path):
    spec = importlib.util.spec_from_file_location("loops", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def observe(call):
    """Run `call(op)` with an `op` that always fails; the attempts it made and the sleeps it asked for."""
    attempts = 0
    sleeps = []

    def op():
        nonlocal attempts
        attempts += 1
        raise Down("down")

    async def async_op():
        return op()

    def sleep(seconds):
        sleeps.append(seconds)

    async def async_sleep(seconds):
        sleeps.append(seconds)

    saved = (time.sleep, asyncio.sleep)
    time.sleep, asyncio.sleep = sleep, async_sleep
    try:
        result = call(op)
        if inspect.iscoroutine(result):
            result.close()
            asyncio.run(call(async_op))
    except Exception:
        pass
    finally:
        time.sleep, asyncio.sleep = saved
    return {"attempts": attempts, "sleeps": sleeps}


def main(path):
    m = load(path)
    config = types.SimpleNamespace(max_retries=2)
    loops = {
        "loops.fetch_with_retries": (lambda op: m.fetch_with_retries(op), {}),
        "loops.upload_part": (lambda op: m.upload_part(op), {}),
        "loops.WebhookSender.send": (lambda op: m.WebhookSender().send(op), {}),
        "loops.poll_lease": (lambda op: m.poll_lease(op), {}),
        "loops.query_with_cap": (lambda op: m.query_with_cap(op), {}),
        "loops.publish_event": (lambda op: m.publish_event(op), {}),
        "loops.acquire_lock": (lambda op: m.acquire_lock(op), {}),
        "loops.ReplicaClient.read": (lambda op: m.ReplicaClient().read(op), {}),
        "loops.ConfiguredClient.call": (
            lambda op: m.ConfiguredClient(config).call(op),
            {"self.config.max_retries": config.max_retries},
        ),
        "loops.sync_inventory": (lambda op: m.sync_inventory(op), {}),
        "loops.PaymentsClient.request": (lambda op: m.PaymentsClient().request(op), {}),
        "loops.MetadataFetcher.fetch": (lambda op: m.MetadataFetcher().fetch(op), {}),
    }
    out = {}
    for symbol, (call, bound) in loops.items():
        out[symbol] = dict(observe(call), bound=bound)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
