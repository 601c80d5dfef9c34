"""`doctor --aggregator --member-role` over a simulated organization, for make bench.

Run as a script (a fresh process, so its peak memory is its own):
    python bench/doctor.py ACCOUNTS LATENCY_S WORKERS
It prints one JSON line: calls made, wall and CPU time, the floor, peak memory.

The call counter and the throttling (one account in twenty, on its first call) are
bench/organization.py's; each member account holds an organization rule run by the
central function, CloudTrail evidence and re-evaluation on, a multi-region trail, the
records' guard SCP at the root (read by the auditor, the management account), and is
checked in two regions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from organization import (
    AUDITOR,
    NOW,
    REALISTIC_LATENCY,
    RULE,
    Calls,
    kib,
)  # puts the package on sys.path

from root_account_usage.cli.doctor import doctor
from root_account_usage.core.health import FAIL

HOME, REGIONS = "us-east-1", ("us-east-1", "eu-west-1")
FUNCTION = f"arn:aws:lambda:{HOME}:{AUDITOR}:function:root-account-usage"
PATTERN = {"account": [AUDITOR], "detail": {"userIdentity": {"type": ["Root"]}}}
PATH = f"/root-account-usage/{RULE}"
CHANGES = ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters"]
GUARD = {
    "Effect": "Deny",
    "Action": CHANGES,
    "Resource": "arn:aws:ssm:*:*:parameter/root-account-usage/*",
}
# A real client's meta for each service paged (the pager reads its paging model).
META = {
    service: boto3.client(
        service, region_name=HOME, aws_access_key_id="x", aws_secret_access_key="x"
    ).meta
    for service in ("config", "events", "logs", "organizations")
}


def answers(account: str, region: str) -> dict[str, Any]:
    """Every read doctor makes of one account, answered as a healthy account would."""
    parameters = {"ThresholdDays": "7", "AssumeRoleMode": "false", "CloudTrailEvidence": "true"}
    rule = {
        "ConfigRuleName": f"OrgConfigRule-{RULE}-ab12cd34",
        "CreatedBy": "config-multiaccountsetup.amazonaws.com",
        "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION},
        "InputParameters": json.dumps(parameters | {"RootActivityEvidence": PATH}),
    }
    qualifier = {"ConfigRuleName": rule["ConfigRuleName"], "ResourceType": "AWS::::Account"}
    evaluation = {
        "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier | {"ResourceId": account}},
        "ComplianceType": "COMPLIANT",
        "ResultRecordedTime": NOW - timedelta(hours=3),
        "Annotation": "Root user has no recorded use; threshold 7 days.",
    }  # fmt: skip
    trail = f"arn:aws:cloudtrail:{HOME}:{account}:trail/organization"
    bus = f"arn:aws:events:{HOME}:{account}:event-bus/default"
    target = f"arn:aws:lambda:{HOME}:{account}:function:reevaluate" if region == HOME else bus
    return {
        "describe_config_rules": {"ConfigRules": [rule]},
        "describe_config_rule_evaluation_status": {
            "ConfigRulesEvaluationStatus": [{"LastSuccessfulInvocationTime": NOW - timedelta(hours=3)}]
        },
        "get_compliance_details_by_config_rule": {"EvaluationResults": [evaluation]},
        "describe_configuration_recorder_status": {
            "ConfigurationRecordersStatus": [{"recording": True, "lastStatus": "Success"}]
        },
        "describe_delivery_channel_status": {
            "DeliveryChannelsStatus": [{"configHistoryDeliveryInfo": {"lastStatus": "Success"}}]
        },
        "describe_configuration_recorders": {"ConfigurationRecorders": [{"recordingGroup": {"allSupported": True}}]},
        "list_discovered_resources": {"resourceIdentifiers": [{"resourceId": f"AWS::::Account/{account}"}]},
        "describe_trails": {"trailList": [{"TrailARN": trail, "HomeRegion": HOME, "IsMultiRegionTrail": True}]},
        "get_trail_status": {"IsLogging": True},
        "get_event_selectors": {},
        "list_rules": {
            "Rules": [{"Name": "root", "State": "ENABLED", "EventPattern": json.dumps(PATTERN | {"account": [account]})}]
        },
        "list_targets_by_rule": {"Targets": [{"Id": "1", "Arn": target}]},
        "get_parameters": {"Parameters": [], "InvalidParameters": []},
        "lookup_events": {"Events": []},
    }  # fmt: skip


class FakeClient:
    """One service of one account in one region: each call sleeps the latency. Not the
    simulation's SimulatedConfig: doctor reads services and Config calls it does not hold."""

    def __init__(self, calls: Calls, service: str, known: dict[str, Any], throttle: list[int]):
        self.meta = META.get(service)
        self.calls, self.service, self.throttle, self.answers = calls, service, throttle, known

    def __getattr__(self, operation: str) -> Any:
        def call(**_: Any) -> Any:
            self.calls.make(operation)
            if self.throttle[0]:
                self.throttle[0] -= 1
                self.calls.retried += 1
                error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
                raise ClientError(error, operation)  # type: ignore[arg-type]
            return self.answers[operation]

        return call


AUDITOR_ANSWERS: dict[str, Any] = {
    "describe_stacks": {"Stacks": [{"Outputs": [
        {"OutputKey": "FunctionArn", "OutputValue": FUNCTION},
        {"OutputKey": "RootActivityRuleArn", "OutputValue": f"arn:aws:events:{HOME}:{AUDITOR}:rule/root"},
    ]}]},
    "describe_rule": {"EventPattern": json.dumps(PATTERN), "State": "ENABLED"},
    # The auditor is the management account: it reads each member's SCPs, the guard at the root.
    "describe_organization": {"Organization": {"MasterAccountId": AUDITOR}},
    "list_parents": {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]},
    "list_policies_for_target": {"Policies": [{"Id": "p-guard"}]},
    "describe_policy": {"Policy": {"Content": json.dumps({"Statement": [GUARD]})}},
}  # fmt: skip


def account_clients(calls: Calls, account: str, index: int) -> Any:
    throttle = [1 if index % 20 == 0 else 0]
    made: dict[tuple[str, str], FakeClient] = {}

    known: dict[str, dict[str, Any]] = {}  # the account's answers, per region

    def client(service: str, region: str) -> FakeClient:
        if region not in known:
            known[region] = answers(account, region) | AUDITOR_ANSWERS
        if (service, region) not in made:
            made[service, region] = FakeClient(calls, service, known[region], throttle)
        return made[service, region]

    return client


class FakeOpener:
    """AssumeRole into each account (one call, the same latency), then its clients."""

    description = "each account read through its role (simulated)"

    def __init__(self, calls: Calls, ids: list[str]) -> None:
        self.calls, self.index = calls, {account: n for n, account in enumerate(ids)}

    def open(self, account_id: str, region: str) -> Any:
        self.calls.make("AssumeRole")
        return account_clients(self.calls, account_id, self.index[account_id])


def run(accounts: int, latency: float, workers: int) -> dict[str, Any]:
    calls = Calls(latency)
    ids = [f"{100_000_000_000 + n:012d}" for n in range(accounts)]
    aggregate = [{"ConfigRuleName": RULE, "AccountId": a, "AwsRegion": HOME} for a in ids]
    auditor = account_clients(calls, AUDITOR, 1)

    def clients(service: str, region: str) -> Any:
        client = auditor(service, region)
        if service == "config":
            client.answers = client.answers | {
                "describe_aggregate_compliance_by_config_rules": {"AggregateComplianceByConfigRules": aggregate}
            }  # fmt: skip
        return client

    args = argparse.Namespace(
        rule_name=RULE, function_arn=[], events=5, stack_name="root-account-usage",
        aggregator="organization", max_workers=workers,
    )  # fmt: skip
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # restart the peak (VmHWM) from here
    before = kib("VmRSS:")
    started, cpu = time.perf_counter(), time.process_time()
    scale = latency / REALISTIC_LATENCY  # the real backoff, scaled as the latency is
    checks = doctor(
        clients, AUDITOR, HOME, args, REGIONS, FakeOpener(calls, ids),  # type: ignore[arg-type]
        now=NOW, sleep=lambda seconds: time.sleep(seconds * scale),
    )  # fmt: skip
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    failed = [c for c in checks if c.status == FAIL]
    assert not failed, failed[:3]
    assert len({c.account for c in checks} - {AUDITOR}) == accounts
    # Members run the central function: its checks are the auditor account's (a WARN).
    warned = {(c.account == AUDITOR, c.name) for c in checks if c.status != "PASS"}
    assert warned == {(False, "function.active")}, warned
    return calls.figures(accounts, workers, wall, cpu) | {
        "checks": len(checks),
        "before_mb": before / 1024,
        "peak_mb": kib("VmHWM:") / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))))
