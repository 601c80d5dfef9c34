"""Scenario tests of the rule, runnable by `rdk test-local ROOT_ACCOUNT_USAGE` and pytest.

Each scenario of root_account_usage.simulation.scenarios (the list the demo prints)
runs the real lambda_handler against a simulated account (moto), whose credential
report gets the root row moto lacks.
"""

from __future__ import annotations

import os
import unittest
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws

from root_account_usage.simulation.credential_report import root_in_credential_report
from root_account_usage.simulation.events import periodic_event
from root_account_usage.simulation.scenarios import SCENARIOS, Scenario

MODULE = __import__("ROOT_ACCOUNT_USAGE")
ACCOUNT_ID = "123456789012"  # moto's default account
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


class RootAccountUsageScenarios(unittest.TestCase):
    def setUp(self) -> None:
        environment = mock.patch.dict(os.environ, {"AWS_REGION": "us-east-1", "LOG_LEVEL": "ERROR"})
        environment.start()
        self.addCleanup(environment.stop)
        no_waiting = mock.patch("time.sleep")
        no_waiting.start()
        self.addCleanup(no_waiting.stop)

    def evaluate(self, scenario: Scenario) -> dict[str, Any]:
        with mock_aws():
            iam = boto3.client("iam", region_name="us-east-1")
            iam.create_user(UserName="alice")
            iam.create_access_key(UserName="alice")
            use = scenario.root_use(NOW)
            with root_in_credential_report(ACCOUNT_ID, use, generated_at=NOW - timedelta(hours=1)):
                event = periodic_event(ACCOUNT_ID, NOW, scenario.parameters)
                evaluations: list[dict[str, Any]] = MODULE.lambda_handler(event, None)
        self.assertEqual(len(evaluations), 1)
        return evaluations[0]

    def test_every_scenario_publishes_its_verdict_for_the_account(self) -> None:
        for scenario in SCENARIOS:
            with self.subTest(scenario.name):
                evaluation = self.evaluate(scenario)
                self.assertEqual(evaluation["ComplianceResourceType"], "AWS::::Account")
                self.assertEqual(evaluation["ComplianceResourceId"], ACCOUNT_ID)
                self.assertEqual(evaluation["OrderingTimestamp"], "2026-11-27T12:00:00.000Z")
                self.assertEqual(evaluation["ComplianceType"], scenario.compliance_type)
                self.assertIn(scenario.annotation_contains, evaluation["Annotation"])
                self.assertLessEqual(len(evaluation["Annotation"]), 256)


if __name__ == "__main__":
    unittest.main()
