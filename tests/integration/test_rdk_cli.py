"""The real rdk CLI accepts the rule folder offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
RDK = Path(sys.executable).with_name("rdk")


@pytest.mark.slow
def test_rdk_create_rule_template_rules_only_accepts_the_rule(tmp_path):
    output = tmp_path / "rules.json"
    environment = os.environ | {"AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run(
        [str(RDK), "create-rule-template", "--rules-only", "-o", str(output), "ROOT_ACCOUNT_USAGE"],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    template = json.loads(output.read_text())
    rule = template["Resources"]["ROOTACCOUNTUSAGEConfigRule"]["Properties"]
    assert rule["Source"]["Owner"] == "CUSTOM_LAMBDA"
    [detail] = rule["Source"]["SourceDetails"]
    assert detail["MessageType"] == "ScheduledNotification"
    assert detail["MaximumExecutionFrequency"] == "TwentyFour_Hours"
    assert set(rule["InputParameters"]) == {
        "ThresholdDays",
        "AssumeRoleMode",
        "CloudTrailEvidence",
        "AssumeRootSessions",
        "RootActivityEvidence",
    }
    assert template["Parameters"]["ROOTACCOUNTUSAGEThresholdDays"]["Default"] == "7"
    # The rule rdk's template creates runs with the function's own role, as ours does.
    assert template["Parameters"]["ROOTACCOUNTUSAGEAssumeRoleMode"]["Default"] == "false"
    assert rule["InputParameters"]["AssumeRoleMode"] == {"Ref": "ROOTACCOUNTUSAGEAssumeRoleMode"}
    # Its rule is named after the folder, unlike template.yaml's `root-account-usage`.
    assert rule["ConfigRuleName"] == "ROOT_ACCOUNT_USAGE"
    # ... and agrees with template.yaml, the template users deploy.
    ours = load_template("template.yaml")
    our_rule = ours["Resources"]["ConfigRule"]["Properties"]
    assert our_rule["Source"]["Owner"] == rule["Source"]["Owner"]
    [our_detail] = our_rule["Source"]["SourceDetails"]
    assert our_detail["MessageType"] == detail["MessageType"]
    frequency = ours["Parameters"]["MaximumExecutionFrequency"]["Default"]
    assert frequency == detail["MaximumExecutionFrequency"]
    assert set(rule["InputParameters"]) <= set(our_rule["InputParameters"])
    threshold_default = template["Parameters"]["ROOTACCOUNTUSAGEThresholdDays"]["Default"]
    assert str(ours["Parameters"]["ThresholdDays"]["Default"]) == threshold_default
