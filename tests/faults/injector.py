"""Inject faults into real boto3 clients at the HTTP boundary.

A `before-send` hook registered first on boto3's default session (the one the rule's
ClientFactory uses) answers chosen operations with an HTTP error, a crafted body, or
a raised connection error, before moto would. botocore then parses and retries the
answer exactly as it would a real one. Everything else passes through to moto.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

# The query-protocol (XML) services' namespaces; Config speaks JSON.
_XML_NAMESPACES = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


@dataclass
class Fault:
    """One kind of failure; `times` None means for ever."""

    respond: Callable[[str, str, Any], AWSResponse]
    times: int | None = None


def error(code: str, status: int, message: str = "injected fault") -> Callable[..., AWSResponse]:
    def respond(service: str, operation: str, request: Any) -> AWSResponse:
        if service in _XML_NAMESPACES:
            body = (
                f'<ErrorResponse xmlns="{_XML_NAMESPACES[service]}"><Error><Type>Sender</Type>'
                f"<Code>{code}</Code><Message>{message}</Message></Error>"
                "<RequestId>fault</RequestId></ErrorResponse>"
            ).encode()
            return AWSResponse(request.url, status, {}, _Body(body))
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, status, headers, _Body(body))

    return respond


def raises(exception: Callable[[str], Exception]) -> Callable[..., AWSResponse]:
    def respond(service: str, operation: str, request: Any) -> AWSResponse:
        raise exception(request.url)

    return respond


def credential_report_body(content_base64: str, generated: str) -> Callable[..., AWSResponse]:
    """A 200 GetCredentialReport answer with the given (possibly broken) Content."""

    def respond(service: str, operation: str, request: Any) -> AWSResponse:
        body = (
            f'<GetCredentialReportResponse xmlns="{_XML_NAMESPACES["iam"]}">'
            f"<GetCredentialReportResult><Content>{content_base64}</Content>"
            f"<ReportFormat>text/csv</ReportFormat><GeneratedTime>{generated}</GeneratedTime>"
            "</GetCredentialReportResult><ResponseMetadata><RequestId>fault</RequestId>"
            "</ResponseMetadata></GetCredentialReportResponse>"
        ).encode()
        return AWSResponse(request.url, 200, {}, _Body(body))

    return respond


def report_bytes(content: bytes, generated: str) -> Callable[..., AWSResponse]:
    return credential_report_body(base64.b64encode(content).decode(), generated)


def json_body(answer: dict[str, Any]) -> Callable[..., AWSResponse]:
    """A 200 answer of a JSON-protocol service (Config) with the given body."""

    def respond(service: str, operation: str, request: Any) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, 200, headers, _Body(json.dumps(answer).encode()))

    return respond


def generation_state(state: str) -> Callable[..., AWSResponse]:
    def respond(service: str, operation: str, request: Any) -> AWSResponse:
        body = (
            f'<GenerateCredentialReportResponse xmlns="{_XML_NAMESPACES["iam"]}">'
            f"<GenerateCredentialReportResult><State>{state}</State>"
            "</GenerateCredentialReportResult><ResponseMetadata><RequestId>fault</RequestId>"
            "</ResponseMetadata></GenerateCredentialReportResponse>"
        ).encode()
        return AWSResponse(request.url, 200, {}, _Body(body))

    return respond


class FaultInjector:
    """Holds faults per 'service.Operation' and counts every attempt it sees."""

    def __init__(self) -> None:
        self.faults: dict[str, list[Fault]] = {}
        self.attempts: Counter[str] = Counter()

    def add(
        self, target: str, respond: Callable[..., AWSResponse], times: int | None = None
    ) -> None:
        self.faults.setdefault(target, []).append(Fault(respond, times))

    def install(self, session: Any) -> None:
        session.events.register_first("before-send", self._before_send)

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        _, service, operation = event_name.split(".", 2)
        target = f"{service}.{operation}"
        self.attempts[target] += 1
        for fault in self.faults.get(target, []):
            if fault.times is None or fault.times > 0:
                if fault.times is not None:
                    fault.times -= 1
                return fault.respond(service, operation, request)
        return None
