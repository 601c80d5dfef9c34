"""The real rdk CLI accepts the rule folder offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert set(rule["InputParameters"]) == {"ThresholdDays"}
    assert template["Parameters"]["ROOTACCOUNTUSAGEThresholdDays"]["Default"] == "7"
