"""The rule's names and defaults agree everywhere they are written down."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from root_account_usage.core.parameters import DEFAULT_THRESHOLD_DAYS, RULE_PARAMETERS

rule_module = importlib.import_module("ROOT_ACCOUNT_USAGE")
RULE_DIR = Path(__file__).resolve().parents[2] / "ROOT_ACCOUNT_USAGE"
PARAMETERS = json.loads((RULE_DIR / "parameters.json").read_text())["Parameters"]
FREQUENCIES = {"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"}


def test_rule_name_folder_module_and_class_agree():
    assert PARAMETERS["RuleName"] == RULE_DIR.name == rule_module.__name__
    assert hasattr(rule_module, PARAMETERS["RuleName"])


def test_runtime_and_schedule_are_what_the_rule_is_built_for():
    assert PARAMETERS["SourceRuntime"] == "python3.13-lib"
    assert PARAMETERS["SourcePeriodic"] in FREQUENCIES
    assert "SourceEvents" not in PARAMETERS


def test_input_parameters_are_the_rules_own_with_their_defaults():
    inputs = json.loads(PARAMETERS["InputParameters"])
    optional = json.loads(PARAMETERS["OptionalParameters"])
    assert set(inputs) | set(optional) == RULE_PARAMETERS | {"AssumeRoleMode"}
    assert inputs["ThresholdDays"] == str(DEFAULT_THRESHOLD_DAYS)
    assert optional == {
        "CloudTrailEvidence": "true",  # the parser's default too (17.2)
        "AssumeRootSessions": "exclude",
        # template.yaml sets it when ReevaluateOnRootActivity records root events.
        "RootActivityEvidence": "",
    }


def test_rdk_deploy_runs_the_rule_with_the_functions_own_role():
    # `rdk deploy` passes InputParameters to the rule. Without AssumeRoleMode "false"
    # rdklib assumes the event's executionRoleArn, which with the service-linked
    # AWSServiceRoleForConfig cannot be assumed: nothing would be published.
    assert json.loads(PARAMETERS["InputParameters"])["AssumeRoleMode"] == "false"


def test_every_compliance_type_the_core_decides_is_one_of_rdklibs():
    from rdklib import ComplianceType

    from root_account_usage.core import verdict

    for name in ("COMPLIANT", "NON_COMPLIANT"):
        assert getattr(ComplianceType, name) == getattr(verdict, name) == name
