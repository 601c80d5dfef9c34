"""`root-account-usage demo`: the real lambda_handler against simulated (moto) accounts."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO
from unittest import mock

from ..simulation.credential_report import (
    cloudtrail_without_root_events,
    config_without_history,
    root_in_credential_report,
)
from ..simulation.events import periodic_event
from ..simulation.scenarios import SCENARIOS

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

    from ..history.organization import AccountOpener

ACCOUNT_ID = "123456789012"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    demo: argparse.ArgumentParser = commands.add_parser(
        "demo",
        help="run the Lambda handler against a simulated AWS account",
        description="Runs the real lambda_handler against simulated accounts (moto) "
        "and prints the evaluation AWS Config would receive for each scenario.",
    )
    return demo


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    return run_demo(sys.stdout)


def simulated_history_source(now: datetime) -> tuple[ConfigServiceClient, str, str]:
    """`history --demo`: a Config client holding a simulated account's history."""
    from ..simulation.config import (
        DEMO_ACCOUNT,
        DEMO_REGION,
        SimulatedConfig,
        simulated_config_client,
    )

    return simulated_config_client(SimulatedConfig(now)), DEMO_ACCOUNT, DEMO_REGION


class OrganizationSource(NamedTuple):
    config: ConfigServiceClient  # the auditor's account, holding the aggregator
    account: str
    region: str
    aggregator: str
    members: AccountOpener


def simulated_organization_source(
    now: datetime, role_name: str | None = None, external_id: str | None = None
) -> OrganizationSource:
    """`history --demo organization`: a simulated organization of seven accounts, read
    through the same AssumeRole code as a real one."""
    from ..history.organization import MemberRoleOpener
    from ..simulation.organization import AGGREGATOR, READ_ROLE, SimulatedOrganization

    organization = SimulatedOrganization(now)
    members = MemberRoleOpener(
        organization.sts_client(),
        organization.config_client,
        role_name=role_name or READ_ROLE,
        partition="aws",
        own_account=organization.auditor,
        external_id=external_id,
    )
    return OrganizationSource(
        organization.auditor_config(),
        organization.auditor,
        organization.region,
        AGGREGATOR,
        members,
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
        f"ROOT_ACCOUNT_USAGE demo: simulated account {ACCOUNT_ID}, now {now:%Y-%m-%dT%H:%M:%SZ}",
        file=out,
    )
    for number, scenario in enumerate(SCENARIOS, start=1):
        with mock_aws():
            _seed_users()
            with (
                config_without_history(),
                cloudtrail_without_root_events(),
                root_in_credential_report(
                    ACCOUNT_ID, scenario.root_use(now), generated_at=now - timedelta(minutes=30)
                ),
            ):
                event = periodic_event(ACCOUNT_ID, now, scenario.parameters)
                evaluations: list[dict[str, Any]] = handler(event, None)
        print(f"\n{number}. {scenario.title}", file=out)
        for evaluation in evaluations:
            print(json.dumps(evaluation, indent=2), file=out)


def _seed_users() -> None:
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    for name in ("alice", "bob", "deploy-bot"):
        iam.create_user(UserName=name)
    iam.create_access_key(UserName="deploy-bot")
