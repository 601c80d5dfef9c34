"""Test doubles for the functional tests: a fake clock and Lambda context, a real-time
Lambda context and an endpoint that hangs, and real boto3 clients whose calls
botocore's Stubber checks against the API model."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber


@dataclass
class FakeClock:
    """Time that passes only when the code under test sleeps."""

    budget_seconds: float = 300.0
    elapsed: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def time_left(self) -> float:
        return self.budget_seconds - self.elapsed


@dataclass
class FakeLambdaContext:
    """What the rule reads of a Lambda context: the remaining time, from a FakeClock."""

    clock: FakeClock

    def get_remaining_time_in_millis(self) -> int:
        return int(self.clock.time_left() * 1000)


def stubbed(service: str) -> tuple[object, Stubber]:
    client = boto3.client(service, region_name="us-east-1")
    return client, Stubber(client)


# This rule has not evaluated the account before: its memory (evaluation.last_annotation) is empty.
NO_LAST_EVALUATION = {"EvaluationResults": []}


def expect_no_last_evaluation(config_stub: Stubber) -> None:
    config_stub.add_response("get_compliance_details_by_config_rule", NO_LAST_EVALUATION)


# A full, clean evaluation the rule published before: the records may then decide first.
CLEAN_EVALUATION = (
    "Root user has no recorded use of its console password or access keys; threshold 7 "
    "days; report generated 2026-11-26T09:00:00Z. No root activity in CloudTrail in 17 "
    "regions over the last 7 days."
)


def last_evaluation(annotation: str, account_id: str, rule: str = "root-account-usage") -> dict:
    """GetComplianceDetailsByConfigRule's answer holding this rule's last evaluation."""
    qualifier = {"ConfigRuleName": rule, "ResourceType": "AWS::::Account", "ResourceId": account_id}
    result = {
        "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
        "ComplianceType": "NON_COMPLIANT" if annotation != CLEAN_EVALUATION else "COMPLIANT",
        "ResultRecordedTime": datetime(2026, 11, 26, 12, tzinfo=UTC),
        "Annotation": annotation,
    }
    return {"EvaluationResults": [result]}


def answer_last_evaluation(session: boto3.Session, answer: Callable[[], dict]) -> None:
    """Answer the session's GetComplianceDetailsByConfigRule calls with `answer()` (moto
    has no such call), after botocore validated the request."""

    def respond(**_: object) -> tuple[AWSResponse, dict]:
        return AWSResponse("https://config", 200, {}, None), answer()

    session.events.register("before-call.config.GetComplianceDetailsByConfigRule", respond)


def report_response(content: bytes, generated_at: datetime) -> dict[str, object]:
    return {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated_at}


@dataclass
class MonotonicLambdaContext:
    """A Lambda context whose remaining time runs down with the real clock."""

    seconds: float
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


class SilentEndpoint:
    """A TCP server on loopback that accepts every connection and never answers: an AWS
    endpoint that hangs. Counts the connections it was given."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            self.connections.append(connection)
            self._answer(connection)

    def _answer(self, connection: socket.socket) -> None:
        """Held open, never read or answered."""

    def close(self) -> None:
        self._server.close()
        for connection in self.connections:
            connection.close()


class DripEndpoint(SilentEndpoint):
    """A TCP server on loopback that reads each request and answers it one byte every
    `interval` seconds (a status line, then a header that never ends), for `seconds`:
    every socket read gets a byte well inside any read timeout, so only a deadline on the
    whole call stops the client before then."""

    def __init__(self, interval: float = 0.5, seconds: float = 30.0) -> None:
        self.interval, self.seconds = interval, seconds
        super().__init__()

    def _answer(self, connection: socket.socket) -> None:
        threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\nX-Drip: " + b"d" * 10_000
        end, pause = time.monotonic() + self.seconds, threading.Event()  # not time.sleep,
        try:  # which tests may patch
            connection.recv(65536)
            for byte in answer:
                if time.monotonic() > end:
                    break
                connection.sendall(bytes([byte]))
                pause.wait(self.interval)
        except OSError:
            pass  # the client closed it
        connection.close()
