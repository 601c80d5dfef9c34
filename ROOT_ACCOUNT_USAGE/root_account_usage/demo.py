"""`root-account-usage demo`: the real lambda_handler against simulated accounts.

Each scenario is a fresh moto account with a few IAM users and a root row in its
credential report; the handler runs end to end (GetCredentialReport, generate,
PutEvaluations in TestMode) and the demo prints what AWS Config would receive.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from unittest import mock

from .simulated_aws import RootUse, periodic_event, root_in_credential_report

ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class Scenario:
    title: str
    root_use: Callable[[datetime], RootUse | None]


SCENARIOS = (
    Scenario("Root never used", lambda now: RootUse()),
    Scenario(
        "Root console sign-in two days ago",
        lambda now: RootUse.at(password=now - timedelta(days=2)),
    ),
    Scenario(
        "Old root password (400 days ago), access key 1 used two hours ago",
        lambda now: RootUse.at(
            password=now - timedelta(days=400), access_key_1=now - timedelta(hours=2)
        ),
    ),
    Scenario(
        "Root used 30 days ago (outside the 7-day threshold)",
        lambda now: RootUse.at(password=now - timedelta(days=30)),
    ),
    Scenario("Credential report without a root row: fail closed", lambda now: None),
)


def run_demo(out: TextIO, now: datetime | None = None) -> int:
    """Run every scenario and print its evaluation; returns the exit code 0."""
    settings = {
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "CRITICAL"),  # the evaluations speak
    }
    with mock.patch.dict(os.environ, settings):
        _run_scenarios(out, now or datetime.now(UTC).replace(microsecond=0))
    return 0


def _run_scenarios(out: TextIO, now: datetime) -> None:
    from moto import mock_aws

    handler = importlib.import_module("ROOT_ACCOUNT_USAGE").lambda_handler

    print(
        f"ROOT_ACCOUNT_USAGE demo: simulated account {ACCOUNT_ID}, now {now:%Y-%m-%dT%H:%M:%SZ}, "
        "ThresholdDays 7",
        file=out,
    )
    for number, scenario in enumerate(SCENARIOS, start=1):
        with mock_aws():
            _seed_users()
            with root_in_credential_report(
                ACCOUNT_ID, scenario.root_use(now), generated_at=now - timedelta(minutes=30)
            ):
                evaluations: list[dict[str, Any]] = handler(periodic_event(ACCOUNT_ID, now), None)
        print(f"\n{number}. {scenario.title}", file=out)
        for evaluation in evaluations:
            print(json.dumps(evaluation, indent=2), file=out)


def _seed_users() -> None:
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("alice", "bob", "deploy-bot"):
        iam.create_user(UserName=name)
    iam.create_access_key(UserName="deploy-bot")
