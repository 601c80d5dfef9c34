"""Scenario tests of the rule, runnable by `rdk test-local ROOT_ACCOUNT_USAGE` and pytest.

Each test runs the real lambda_handler against a simulated account (moto), whose
credential report gets the root row moto lacks.
"""

from __future__ import annotations

import os
import unittest
from datetime import UTC, datetime, timedelta
from unittest import mock

import boto3
from moto import mock_aws

from root_account_usage.simulated_aws import RootUse, periodic_event, root_in_credential_report

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
        aws = mock_aws()
        aws.start()
        self.addCleanup(aws.stop)
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="alice")
        iam.create_access_key(UserName="alice")

    def evaluate(self, use: RootUse | None, parameters: dict[str, str] | None = None) -> dict:
        with root_in_credential_report(ACCOUNT_ID, use, generated_at=NOW - timedelta(hours=1)):
            evaluations = MODULE.lambda_handler(periodic_event(ACCOUNT_ID, NOW, parameters), None)
        self.assertEqual(len(evaluations), 1)
        evaluation = evaluations[0]
        self.assertEqual(evaluation["ComplianceResourceType"], "AWS::::Account")
        self.assertEqual(evaluation["ComplianceResourceId"], ACCOUNT_ID)
        self.assertEqual(evaluation["OrderingTimestamp"], "2026-11-27T12:00:00.000Z")
        self.assertLessEqual(len(evaluation["Annotation"]), 256)
        return evaluation

    def test_root_never_used_is_compliant(self) -> None:
        evaluation = self.evaluate(RootUse())
        self.assertEqual(evaluation["ComplianceType"], "COMPLIANT")
        self.assertIn("no recorded use", evaluation["Annotation"])

    def test_console_sign_in_two_days_ago_is_non_compliant(self) -> None:
        evaluation = self.evaluate(RootUse.at(password=NOW - timedelta(days=2)))
        self.assertEqual(evaluation["ComplianceType"], "NON_COMPLIANT")
        self.assertIn("console password was used at 2026-11-25T12:00:00Z", evaluation["Annotation"])

    def test_old_password_does_not_hide_access_key_used_two_hours_ago(self) -> None:
        use = RootUse.at(password=NOW - timedelta(days=400), access_key_1=NOW - timedelta(hours=2))
        evaluation = self.evaluate(use)
        self.assertEqual(evaluation["ComplianceType"], "NON_COMPLIANT")
        self.assertIn("access key 1", evaluation["Annotation"])

    def test_use_outside_the_threshold_is_compliant(self) -> None:
        evaluation = self.evaluate(RootUse.at(password=NOW - timedelta(days=8)))
        self.assertEqual(evaluation["ComplianceType"], "COMPLIANT")

    def test_threshold_days_parameter_widens_the_window(self) -> None:
        use = RootUse.at(password=NOW - timedelta(days=40))
        evaluation = self.evaluate(use, {"ThresholdDays": "60"})
        self.assertEqual(evaluation["ComplianceType"], "NON_COMPLIANT")
        self.assertIn("60-day threshold", evaluation["Annotation"])

    def test_report_without_root_row_fails_closed(self) -> None:
        evaluation = self.evaluate(None)
        self.assertEqual(evaluation["ComplianceType"], "NON_COMPLIANT")
        self.assertTrue(evaluation["Annotation"].startswith("Unable to evaluate: "))

    def test_invalid_threshold_fails_closed(self) -> None:
        evaluation = self.evaluate(RootUse(), {"ThresholdDays": "seven"})
        self.assertEqual(evaluation["ComplianceType"], "NON_COMPLIANT")
        self.assertIn("ThresholdDays", evaluation["Annotation"])


if __name__ == "__main__":
    unittest.main()
