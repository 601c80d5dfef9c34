"""`history --aggregator --member-role` over a simulated organization, for make bench.

Run as a script (a fresh process, so its peak memory is its own):
    python bench/organization.py ACCOUNTS LATENCY_S WORKERS
It prints one JSON line: calls made, wall and CPU time, the floor, peak memory.

Every AWS call (AssumeRole and each AWS Config read) takes LATENCY_S of sleep, as a
network round trip would; one account in twenty is throttled on its first call, and
its retry waits the real backoff scaled by LATENCY_S / 50 ms (the latency it stands
for). The clients are light fakes that answer in microseconds, so the figures measure
the history code and its thread pool, not botocore (a real client adds its own
per-call CPU, measured on its own in run_bench.py).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ROOT_ACCOUNT_USAGE"))

import boto3
from botocore.exceptions import ClientError

from root_account_usage.history.collect import collect_evidence
from root_account_usage.history.evidence import render_html, render_json
from root_account_usage.simulation.config import compliance_item

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = timedelta(days=90)  # history's default: 13 seven-day windows
REALISTIC_LATENCY = 0.050  # what the scaled latency stands for
AUDITOR = "999999999999"
RULE = "root-account-usage"
FUNCTION = f"arn:aws:lambda:us-east-1:{AUDITOR}:function:{RULE}"
ANNOTATION = (
    "Root user has no recorded use of its console password or access keys; threshold 7 days; "
    "report generated 2026-11-27T08:40:00Z."
)


def kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    raise LookupError(field)


class Calls:
    """Every call made, by operation, with the time each took asleep."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.counts: Counter[str] = Counter()
        self.retried = 0
        self._lock = threading.Lock()

    def make(self, operation: str) -> None:
        with self._lock:
            self.counts[operation] += 1
        if self.latency:
            time.sleep(self.latency)


# What the pager reads of a client (its service and operation names, to look up
# botocore's paging model): a real Config client's, made once.
CONFIG_META = boto3.client(
    "config", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
).meta


class FakeConfig:
    """One account's AWS Config: a rule (an organization rule in a third of them), one
    item before the period, and a change to NON_COMPLIANT in one account in seven."""

    meta = CONFIG_META

    def __init__(self, calls: Calls, account: str, index: int, aggregate: list[Any] | None = None):
        self.calls, self.account, self.index = calls, account, index
        self.throttles = 1 if index % 20 == 0 else 0
        self.aggregate = aggregate or []
        self.rule = RULE if index % 3 else f"OrgConfigRule-{RULE}-ab{index % 100:02d}cd34"

    def _call(self, operation: str) -> None:
        self.calls.make(operation)
        if self.throttles:
            self.throttles -= 1
            self.calls.retried += 1
            error = {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}
            raise ClientError(error, operation)  # type: ignore[arg-type]

    def describe_config_rules(self, **_: Any) -> dict[str, Any]:
        self._call("DescribeConfigRules")
        return {
            "ConfigRules": [
                {
                    "ConfigRuleName": self.rule,
                    "InputParameters": '{"ThresholdDays": "7"}',
                    "Source": {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": FUNCTION},
                }
                | (
                    {}
                    if self.rule == RULE
                    else {"CreatedBy": "config-multiaccountsetup.amazonaws.com"}
                ),
                {"ConfigRuleName": f"legacy-{RULE}", "InputParameters": "{}"},
                {"ConfigRuleName": "s3-bucket-versioning-enabled"},
            ]
        }

    def describe_configuration_recorders(self, **_: Any) -> dict[str, Any]:
        self._call("DescribeConfigurationRecorders")
        return {
            "ConfigurationRecorders": [
                {"name": "default", "recordingGroup": {"allSupported": True}}
            ]
        }

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        self._call("GetResourceConfigHistory")
        rules = {self.rule: "COMPLIANT", f"legacy-{RULE}": "COMPLIANT"}
        if "earlierTime" not in request:  # the state at the start
            at = request["laterTime"] - timedelta(days=3)
            return {"configurationItems": [compliance_item(at, rules, account_id=self.account)]}
        change = NOW - timedelta(days=30)
        if self.index % 7 == 0 and request["earlierTime"] <= change < request["laterTime"]:
            rules[self.rule] = "NON_COMPLIANT"
            return {"configurationItems": [compliance_item(change, rules, account_id=self.account)]}
        return {"configurationItems": []}

    def get_compliance_details_by_config_rule(self, **request: Any) -> dict[str, Any]:
        self._call("GetComplianceDetailsByConfigRule")
        qualifier = {
            "ConfigRuleName": request["ConfigRuleName"],
            "ResourceType": "AWS::::Account",
            "ResourceId": self.account,
        }
        return {
            "EvaluationResults": [
                {
                    "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
                    "ComplianceType": "COMPLIANT",
                    "ResultRecordedTime": NOW - timedelta(hours=3),
                    "Annotation": ANNOTATION,
                }
            ]
        }

    def describe_aggregate_compliance_by_config_rules(self, **request: Any) -> dict[str, Any]:
        self._call("DescribeAggregateComplianceByConfigRules")
        start = int(request.get("NextToken") or 0)
        page: dict[str, Any] = {
            "AggregateComplianceByConfigRules": self.aggregate[start : start + 1000]
        }
        if start + 1000 < len(self.aggregate):
            page["NextToken"] = str(start + 1000)
        return page


class FakeOpener:
    """AssumeRole into each account (one call, the same latency), then its Config."""

    description = "each account read through its role (simulated)"

    def __init__(self, calls: Calls, configs: dict[str, FakeConfig]) -> None:
        self.calls, self.configs = calls, configs

    def open(self, account_id: str, region: str) -> Any:
        self.calls.make("AssumeRole")
        return self.configs[account_id]


def run(accounts: int, latency: float, workers: int) -> dict[str, Any]:
    calls = Calls(latency)
    ids = [f"{100_000_000_000 + n:012d}" for n in range(accounts)]
    configs = {account: FakeConfig(calls, account, n) for n, account in enumerate(ids)}
    aggregate = [
        {"ConfigRuleName": name, "AccountId": account, "AwsRegion": "us-east-1"}
        for account, config in configs.items()
        for name in (config.rule, f"legacy-{RULE}")
    ]
    auditor = FakeConfig(calls, AUDITOR, 1, aggregate)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # restart the peak (VmHWM) from here
    before = kib("VmRSS:")
    scale = latency / REALISTIC_LATENCY
    started, cpu = time.perf_counter(), time.process_time()
    report = collect_evidence(
        auditor,  # type: ignore[arg-type]
        rule_name=RULE,
        account_id=AUDITOR,
        region="us-east-1",
        since=NOW - PERIOD,
        until=NOW,
        now=NOW,
        aggregator="organization",
        members=FakeOpener(calls, configs),
        functions=[FUNCTION],
        max_workers=workers,
        sleep=lambda seconds: time.sleep(seconds * scale),
    )
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    collected_kib = kib("VmHWM:")
    started = time.perf_counter()
    sizes = {"json_mb": len(render_json(report)) / 1e6, "html_mb": len(render_html(report)) / 1e6}
    render = time.perf_counter() - started
    assert len(report.accounts) == accounts
    assert not report.unreadable
    total = sum(calls.counts.values())
    return {
        "accounts": accounts,
        "latency_ms": latency * 1e3,
        "workers": workers,
        "calls": dict(calls.counts),
        "calls_total": total,
        "retries": calls.retried,
        "wall_s": wall,
        "cpu_s": cpu,
        "floor_s": total * latency / workers,
        "render_s": render,
        **sizes,
        "before_mb": before / 1024,
        "peak_collect_mb": collected_kib / 1024,
        "peak_mb": kib("VmHWM:") / 1024,
    }


if __name__ == "__main__":
    figures = run(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(figures))
