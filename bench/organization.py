"""`history --aggregator --member-role` over a simulated organization, for make bench.

Run as a script (a fresh process, so its peak memory is its own):
    python bench/organization.py ACCOUNTS LATENCY_S WORKERS
It prints one JSON line: calls made, wall and CPU time, the floor, peak memory.

Each account's AWS Config is the simulation's (simulation.config): a rule (an
organization rule in a third of them) and a legacy rule of another name, root used 30 days
ago in one account in seven, one account in twenty throttled on its first call. Every AWS
call (AssumeRole and each AWS Config read) takes LATENCY_S of sleep, as a network round
trip would, and the throttled call's retry waits the real backoff scaled by LATENCY_S /
50 ms (the latency it stands for). The SimulatedConfig objects answer directly, in
microseconds, so the figures measure the history code and its thread pool, not botocore
(a real client adds its own per-call CPU, measured on its own in run_bench.py).
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

from root_account_usage.history.evidence import render_html, render_json
from root_account_usage.history.organization import AuditorSession, collect_evidence
from root_account_usage.simulation.config import (
    AUDITOR_ACCOUNT,
    ServiceError,
    SimulatedAccount,
    SimulatedConfig,
    SimulatedOrganization,
    Story,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
PERIOD = timedelta(days=90)  # history's default: 13 seven-day windows
REALISTIC_LATENCY = 0.050  # what the scaled latency stands for
AUDITOR = AUDITOR_ACCOUNT  # none of the accounts made here: it holds only the aggregator
RULE = "root-account-usage"


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

    def figures(self, accounts: int, workers: int, wall: float, cpu: float) -> dict[str, Any]:
        """What every run reports: the calls, the time, and the floor they set."""
        total = sum(self.counts.values())
        return {
            "accounts": accounts,
            "latency_ms": self.latency * 1e3,
            "workers": workers,
            "calls": dict(self.counts),
            "calls_total": total,
            "retries": self.retried,
            "wall_s": wall,
            "cpu_s": cpu,
            "floor_s": total * self.latency / workers,
        }


# What the pager reads of a client (its service and operation names, to look up
# botocore's paging model): a real Config client's, made once.
CONFIG_META = boto3.client(
    "config", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
).meta


class TimedConfig:
    """One account's SimulatedConfig, called as a client: each call counted and slept."""

    meta = CONFIG_META

    def __init__(self, calls: Calls, config: SimulatedConfig) -> None:
        self.calls, self.config = calls, config

    def __getattr__(self, operation: str) -> Any:
        answer = getattr(self.config, operation)

        def call(**request: Any) -> Any:
            self.calls.make(CONFIG_META.method_to_api_mapping[operation])
            try:
                return answer(**request)
            except ServiceError as error:
                if error.response["Error"]["Code"] == "ThrottlingException":
                    self.calls.retried += 1
                raise

        return call


class FakeOpener:
    """AssumeRole into each account (one call, the same latency), then its Config."""

    description = "each account read through its role (simulated)"

    def __init__(self, calls: Calls, organization: SimulatedOrganization) -> None:
        self.calls, self.organization = calls, organization

    def open(self, account_id: str, region: str) -> Any:
        self.calls.make("AssumeRole")
        return TimedConfig(self.calls, self.organization.configs[account_id])


def account(index: int) -> SimulatedAccount:
    rule = RULE if index % 3 else f"OrgConfigRule-{RULE}-ab{index % 100:02d}cd34"
    story = Story(password_uses=(timedelta(days=30),)) if index % 7 == 0 else Story()
    return SimulatedAccount(
        f"{100_000_000_000 + index:012d}",
        {rule: story, f"legacy-{RULE}": Story()},
        throttled_calls=1 if index % 20 == 0 else 0,
    )


def run(accounts: int, latency: float, workers: int) -> dict[str, Any]:
    calls = Calls(latency)
    organization = SimulatedOrganization(NOW, [account(n) for n in range(accounts)])
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # restart the peak (VmHWM) from here
    before = kib("VmRSS:")
    scale = latency / REALISTIC_LATENCY
    started, cpu = time.perf_counter(), time.process_time()
    report = collect_evidence(
        AuditorSession(
            TimedConfig(calls, organization.configs[AUDITOR]),  # type: ignore[arg-type]
            AUDITOR,
            "us-east-1",
            aggregator="organization",
            members=FakeOpener(calls, organization),
        ),
        rule_name=RULE,
        since=NOW - PERIOD,
        until=NOW,
        now=NOW,
        functions=(),  # each simulated rule runs its own account's function: none compared
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
    return calls.figures(accounts, workers, wall, cpu) | {
        "render_s": render,
        **sizes,
        "before_mb": before / 1024,
        "peak_collect_mb": collected_kib / 1024,
        "peak_mb": kib("VmHWM:") / 1024,
    }


if __name__ == "__main__":
    figures = run(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
    print(json.dumps(figures))
