"""`root-account-usage demo`: the real lambda_handler against simulated (moto) accounts."""

from __future__ import annotations

import argparse
import importlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

from ..history.organization import AuditorSession, MemberRoleOpener
from ..simulation.credential_report import (
    cloudtrail_without_root_events,
    config_without_history,
    root_in_credential_report,
)
from ..simulation.events import periodic_event
from ..simulation.scenarios import SCENARIOS

ACCOUNT_ID = "123456789012"
# What the demo runs with unless the environment says otherwise (the evaluations speak).
ENVIRONMENT = dict(AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", LOG_LEVEL="CRITICAL")
HELP = "run the Lambda handler against a simulated AWS account"
DESCRIPTION = (
    "Runs the real lambda_handler against simulated accounts (moto) "
    "and prints the evaluation AWS Config would receive for each scenario."
)


def add_options(parser: argparse.ArgumentParser) -> None:
    """None: every scenario is run."""


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run every scenario and print its evaluations; returns the exit code 0."""
    # The environment wins, but for endpoints: the accounts are simulated in this process.
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    ignored = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}  # the config file's too
    with mock.patch.dict(os.environ, ENVIRONMENT | kept | ignored, clear=True):
        _run_scenarios(datetime.now(UTC).replace(microsecond=0))
    return 0


def simulated_source(
    demo: str, now: datetime, role_name: str | None = None, external_id: str | None = None
) -> AuditorSession:
    """`history --demo`: a simulated account's AWS Config; `--demo organization`: an
    organization of seven accounts, read through the same AssumeRole code as a real one."""
    from ..simulation import config

    if demo != "organization":
        client = config.simulated_client("config", config.SimulatedConfig(now))
        return AuditorSession(client, config.DEMO_ACCOUNT, config.DEMO_REGION)
    simulated = config.SimulatedOrganization(now)
    members = MemberRoleOpener(
        config.simulated_client("sts", simulated),
        simulated.config_client,
        role_name=role_name or config.READ_ROLE,
        partition="aws",
        own_account=simulated.auditor,
        external_id=external_id,
    )
    auditor = (simulated.config_client(simulated.region, None), simulated.auditor, simulated.region)
    return AuditorSession(*auditor, aggregator=config.AGGREGATOR, members=members)


def _run_scenarios(now: datetime) -> None:
    import boto3
    from moto import mock_aws

    handler = importlib.import_module("ROOT_ACCOUNT_USAGE").lambda_handler
    print(f"ROOT_ACCOUNT_USAGE demo: simulated account {ACCOUNT_ID}, now {now:%Y-%m-%dT%H:%M:%SZ}")
    for number, scenario in enumerate(SCENARIOS, start=1):
        use, generated_at = scenario.root_use(now), now - timedelta(minutes=30)
        with (
            mock_aws(),
            config_without_history(),
            cloudtrail_without_root_events(),
            root_in_credential_report(ACCOUNT_ID, use, generated_at=generated_at),
        ):
            iam = boto3.client("iam", region_name="us-east-1")
            for name in ("alice", "bob", "deploy-bot"):
                iam.create_user(UserName=name)
            iam.create_access_key(UserName="deploy-bot")
            event = periodic_event(ACCOUNT_ID, now, scenario.parameters)
            evaluations: list[dict[str, Any]] = handler(event, None)
        print(f"\n{number}. {scenario.title}")
        for evaluation in evaluations:
            print(json.dumps(evaluation, indent=2))
