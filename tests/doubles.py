"""Test doubles for the functional tests: a fake clock and Lambda context, and
real boto3 clients whose calls botocore's Stubber checks against the API model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import boto3
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


def report_response(content: bytes, generated_at: datetime) -> dict[str, object]:
    return {"Content": content, "ReportFormat": "text/csv", "GeneratedTime": generated_at}
