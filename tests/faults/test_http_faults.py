"""Part of the fault matrix over real HTTP: faults injected inside a moto server.

A WSGI middleware in front of moto's own application answers chosen operations
with errors, broken bodies or a dropped connection; the handler talks to it through
AWS_ENDPOINT_URL exactly as it would talk to AWS.
"""

from __future__ import annotations

import io
import json
import socket
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from ROOT_ACCOUNT_USAGE import EvaluationNotPublishedError, lambda_handler
from root_account_usage.simulation.credential_report import RootUse, root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from tests.conftest import reset_moto_state
from tests.doubles import FakeClock, FakeLambdaContext

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
ACCOUNT = "123456789012"
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"

Responder = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def iam_error(code: str, status: str) -> Responder:
    body = (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        "<Message>injected at the server</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    ).encode()
    return lambda environ, start: (start(status, [("Content-Type", "text/xml")]), [body])[1]


def json_error(code: str, status: str) -> Responder:
    body = json.dumps({"__type": code, "message": "injected at the server"}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    return lambda environ, start: (start(status, headers), [body])[1]


def gateway_page(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    start("502 Bad Gateway", [("Content-Type", "text/html")])
    return [b"<html><body>502 Bad Gateway</body></html>"]


def not_base64(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    body = (
        f'<GetCredentialReportResponse xmlns="{IAM_NS}"><GetCredentialReportResult>'
        "<Content>%%%not-base64</Content><ReportFormat>text/csv</ReportFormat>"
        "<GeneratedTime>2026-11-27T11:55:00Z</GeneratedTime></GetCredentialReportResult>"
        "</GetCredentialReportResponse>"
    ).encode()
    start("200 OK", [("Content-Type", "text/xml")])
    return [body]


def drop_connection(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    # shutdown, not close: the handler's file objects still hold the socket open.
    environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
    return []


class FaultMiddleware:
    """Answers 'Operation' with a responder `times` times (None: for ever)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.faults: dict[str, list[list[Any]]] = {}

    def add(self, operation: str, responder: Responder, times: int | None = None) -> None:
        self.faults.setdefault(operation, []).append([responder, times])

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if not operation:
            operation = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
        for fault in self.faults.get(operation, []):
            responder, times = fault
            if times is None or times > 0:
                if times is not None:
                    fault[1] = times - 1
                return responder(environ, start)
        return self.app(environ, start)


class FaultyMotoServer(ThreadedMotoServer):
    def __init__(self) -> None:
        super().__init__(ip_address="127.0.0.1", port=0, verbose=False)
        self.middleware = FaultMiddleware(DomainDispatcherApplication(create_backend_app))

    def _server_entry(self) -> None:
        self._server = make_server(
            self._ip_address, self._port, self.middleware, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


@pytest.fixture
def server(monkeypatch):
    clock = FakeClock(budget_seconds=300)
    monkeypatch.setattr("time.sleep", clock.sleep)
    faulty = FaultyMotoServer()
    faulty.start()
    host, port = faulty.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto_state(endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    boto3.client("iam", region_name="us-east-1").create_user(UserName="alice")
    try:
        yield faulty.middleware, clock
    finally:
        reset_moto_state(endpoint)
        faulty.stop()


def run(clock: FakeClock, fresh: bool = True):
    if fresh:
        boto3.client("iam", region_name="us-east-1").generate_credential_report()
    event = periodic_event(ACCOUNT, NOW, {"AssumeRoleMode": "false"})
    use = RootUse.at(access_key_1=NOW - timedelta(hours=3))
    with root_in_credential_report(ACCOUNT, use, NOW - timedelta(minutes=5)):
        [evaluation] = lambda_handler(event, FakeLambdaContext(clock))
    assert clock.elapsed <= clock.budget_seconds
    return evaluation


def test_service_failure_then_success_gives_the_verdict(server):
    middleware, clock = server
    middleware.add(
        "GetCredentialReport", iam_error("ServiceFailure", "500 Internal Server Error"), 3
    )
    evaluation = run(clock)
    assert evaluation["Annotation"].startswith("Root access key 1 was used at")


def test_access_denied_fails_closed(server):
    middleware, clock = server
    middleware.add("GetCredentialReport", iam_error("AccessDenied", "403 Forbidden"))
    assert run(clock)["Annotation"].endswith("[AccessDenied]")


def test_generation_throttled_forever_fails_closed_in_time(server):
    middleware, clock = server
    middleware.add("GenerateCredentialReport", iam_error("Throttling", "400 Bad Request"))
    evaluation = run(clock, fresh=False)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].endswith("[ReportNotReady]")


def test_content_that_is_not_base64_fails_closed(server):
    middleware, clock = server
    middleware.add("GetCredentialReport", not_base64)
    assert run(clock)["Annotation"].endswith("[MalformedResponse]")


def test_gateway_error_page_fails_closed(server):
    middleware, clock = server
    middleware.add("GetCredentialReport", gateway_page)
    evaluation = run(clock)
    assert evaluation["Annotation"].startswith("Unable to evaluate: IAM GetCredentialReport failed")
    assert evaluation["Annotation"].endswith("[502]")


def test_dropped_connection_fails_closed(server):
    middleware, clock = server
    middleware.add("GetCredentialReport", drop_connection)
    evaluation = run(clock)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    assert evaluation["Annotation"].startswith("Unable to evaluate: IAM GetCredentialReport failed")
    assert evaluation["Annotation"].endswith("[ConnectionClosedError]")


def test_put_evaluations_failing_for_ever_fails_the_invocation(server):
    middleware, clock = server
    middleware.add("PutEvaluations", json_error("InternalFailure", "500 Internal Server Error"))
    with pytest.raises(EvaluationNotPublishedError):
        run(clock)
