"""urllib3 (and requests, which hands urllib3 its `Retry`) driven the way its connection pool drives `Retry`."""
from fake import ScriptExhausted, exception_class


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
