"""botocore's own retry code: a real client (STS `GetCallerIdentity`) with the config under test, its HTTP session
replaced by the outcome script, so botocore's endpoint loop, retry handler (legacy `retryhandler` from
`_retry.json`, or `retries.standard` / `retries.adaptive`), quota and `time.sleep` all run as shipped.

What a scripted step becomes at the HTTP session (what botocore's own session raises or returns):

- `ConnectionError` and its subclasses: `EndpointConnectionError` (could not connect); `TimeoutError`:
  `ReadTimeoutError`. Every mode retries both.
- a step with a Retry-After hint: an HTTP 503 `ServiceUnavailable` response carrying the header (every mode retries
  a 503; none reads Retry-After).
- any other `Exception` (`ValueError`, `OSError`): an HTTP 400 `ValidationError` response, a service error that no
  mode retries.
- a `BaseException` (cancellation, KeyboardInterrupt): raised as is (botocore catches `Exception` only).

A give-up is reported in the script's words, `raised:<the last step's error>`, as it is for urllib3.
"""
import os

from fake import CLOCK

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
OK_BODY = (
    f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x'
    "</Arn><UserId>X</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r"
    "</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)


def error_body(code):
    return (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code><Message>scripted</Message>'
        "</Error><RequestId>r</RequestId></ErrorResponse>"
    )


class Body:
    def __init__(self, text):
        self.data = text.encode()

    def stream(self, **kwargs):
        yield self.data


_SESSION = None


def session():
    """One botocore session (its loaded models are reused); the environment cannot choose a mode or a count."""
    global _SESSION
    if _SESSION is None:
        for key in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[key]
        os.environ["AWS_CONFIG_FILE"] = os.devnull
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        import botocore.session

        _SESSION = botocore.session.Session()
    return _SESSION


def pin_standard_random():
    """`retries.standard.ExponentialBackoff` binds `random.random` as a default argument when botocore is imported,
    before the probe is pinned; a new client's backoff must draw the probe too."""
    from botocore.retries import standard

    standard.ExponentialBackoff.__init__.__defaults__ = (standard.ExponentialBackoff._MAX_BACKOFF, lambda: CLOCK.probe)


def transport(op):
    """The HTTP session's `send`: the next scripted step, as botocore's own session would surface it."""
    from botocore import exceptions
    from botocore.awsrequest import AWSResponse

    def send(request):
        step = op.step()
        error = step.get("error")
        if error is None:
            return AWSResponse(request.url, 200, {}, Body(OK_BODY))
        if step.get("hint") is not None:
            headers = {"Retry-After": str(step["hint"])}
            return AWSResponse(request.url, 503, headers, Body(error_body("ServiceUnavailable")))
        cls = exception_class_of(error)
        if not issubclass(cls, Exception):
            raise cls()
        if issubclass(cls, ConnectionError):
            raise exceptions.EndpointConnectionError(endpoint_url=request.url)
        if issubclass(cls, TimeoutError):
            raise exceptions.ReadTimeoutError(endpoint_url=request.url)
        return AWSResponse(request.url, 400, {}, Body(error_body("ValidationError")))

    return send


def exception_class_of(name):
    from fake import exception_class

    return exception_class(name)


def run_botocore(config, op):
    pin_standard_random()
    client = session().create_client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=config,
    )
    client._endpoint.http_session.send = transport(op)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client.get_caller_identity()
    except (BotoCoreError, ClientError):
        # The service's error or the connection error botocore gave up on: the script's own error.
        raise exception_class_of(op.last_error())()
    return "ok"
