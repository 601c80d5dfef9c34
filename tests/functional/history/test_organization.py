"""Every account of an organization: each read in its own AWS Config through the read
role, several at a time, none dropped. Against simulation.config's organization (seven accounts:
different timelines, one whose role is refused, one throttled, one without the rule),
botocore Stubber for STS's edges, and moto for a real AssumeRole answer."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from root_account_usage.cli.main import main
from root_account_usage.cli.options import role_name
from root_account_usage.history.config_reader import HistoryUnavailableError
from root_account_usage.history.evidence import render_csv, render_html, render_json, render_text
from root_account_usage.history.organization import (
    SESSION_NAME,
    AuditorSession,
    MemberRoleOpener,
    MemberRoleRefusedError,
    collect_evidence,
    each_in_parallel,
    member_opener,
    read_accounts,
)
from root_account_usage.simulation.config import (
    AGGREGATOR,
    AUDITOR_ACCOUNT,
    DAY,
    READ_ROLE,
    SimulatedAccount,
    SimulatedConfig,
    SimulatedOrganization,
    Story,
    simulated_client,
)
from tests.doubles import stubbed
from tests.simulation_extras import RecordingOrganization

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SINCE, UNTIL = NOW - timedelta(days=90), NOW


@pytest.fixture(scope="module")
def organization_report():
    organization = RecordingOrganization(NOW)
    sleeps: list[float] = []
    opener = MemberRoleOpener(
        simulated_client("sts", organization),
        organization.config_client,
        role_name=READ_ROLE,
        partition="aws",
        own_account=AUDITOR_ACCOUNT,
        sleep=sleeps.append,
    )
    progress: list[tuple[int, int]] = []
    report = collect_evidence(
        AuditorSession(
            organization.config_client("us-east-1", None),
            AUDITOR_ACCOUNT,
            "us-east-1",
            aggregator=AGGREGATOR,
            members=opener,
        ),
        rule_name="root-account-usage",
        since=SINCE,
        until=UNTIL,
        now=NOW,
        max_workers=3,
        sleep=sleeps.append,
        accounts_progress=lambda done, total: progress.append((done, total)),
    )
    return report, organization, sleeps, progress


def test_every_account_is_read_in_its_own_config_with_its_own_rule(organization_report):
    report, _, _, _ = organization_report
    rules = {a.account_id: a.rule_name for a in report.accounts}
    assert rules == {
        "111111111111": "root-account-usage",
        "222222222222": "OrgConfigRule-root-account-usage-ab12cd34",
        "333333333333": "OrgConfigRule-root-account-usage-ef56gh78",  # not legacy-...
        "555555555555": "root-account-usage-conformance-pack-k3m9x2p7q",
        "666666666666": "root-account-usage",
        "777777777777": None,
    }
    thresholds = {a.account_id: a.threshold_days for a in report.accounts if a.rule_name}
    assert thresholds["555555555555"] == 30
    assert all(a.history_note is None for a in report.accounts if a.rule_name)


def test_accounts_keep_their_own_timelines(organization_report):
    report, _, _, _ = organization_report
    evidence = json.loads(render_json(report))
    by_account = {a["account_id"]: a for a in evidence["accounts"]}
    assert by_account["111111111111"]["changes"] == []
    assert [c["compliance_type"] for c in by_account["666666666666"]["changes"]] == [
        "NON_COMPLIANT"
    ]
    assert len(by_account["222222222222"]["changes"]) == 5
    assert by_account["666666666666"]["most_recent_root_use"]["credential"].startswith(
        "CloudTrail: console sign-in"
    )
    assert evidence["summary"] == {
        "accounts": 7,
        "ever_non_compliant": ["222222222222", "666666666666"],
        "unreadable": ["444444444444"],
        "without_rule": ["777777777777"],
        "without_history": [],
        "not_this_rule": [],
        # No --function-arn given: every rule counts, flagged.
        "identity_unverified": [f"{n}" * 12 for n in (1, 2, 3, 5, 6)],
        "stale": [],
        "rule_deleted": [],
    }


def test_an_account_whose_role_is_refused_is_listed_with_the_reason(organization_report):
    report, organization, _, _ = organization_report
    [refused] = report.unreadable
    assert refused.account_id == "444444444444"
    assert refused.error.startswith(
        "cannot assume arn:aws:iam::444444444444:role/RootAccountUsageAuditor: AccessDenied: "
    )
    # Each other account's role assumed once, 777777777777's too (no rule of ours now,
    # so its own records are read for one deleted); the auditor's own account directly.
    assumed = sorted(arn.split(":")[4] for arn in organization.assumed)
    assert assumed == [
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
        "777777777777",
    ]


def test_a_throttled_account_is_read_after_waiting(organization_report):
    report, _, sleeps, _ = organization_report
    assert "555555555555" in {a.account_id for a in report.accounts}
    assert len(sleeps) == 2  # its two throttled calls, each retried after a pause


def test_progress_is_told_once_per_account(organization_report):
    _, _, _, progress = organization_report
    assert progress == [(n, 7) for n in range(1, 8)]


def test_html_leads_with_the_organization_summary(organization_report):
    report, _, _, _ = organization_report
    page = render_html(report)
    summary = page.index("<h2>Summary</h2>")
    assert summary < page.index('<table class="summary">') < page.index('class="account"')
    head = page[summary : page.index('<table class="summary">')]
    assert "<td>7</td>" in head
    assert "2: 222222222222, 666666666666" in head
    assert "1: 444444444444" in head
    assert "1: 777777777777" in head


def test_csv_and_json_carry_period_threshold_and_rule_on_every_account_row(organization_report):
    report, _, _, _ = organization_report
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert {row["account_id"] for row in rows} == {
        "111111111111",
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
        "777777777777",
    }
    for row in rows:
        assert (row["period_since"], row["period_until"]) == (
            "2026-08-29T12:00:00Z",
            "2026-11-27T12:00:00Z",
        )
        if row["account_id"] not in ("444444444444", "777777777777"):
            assert row["rule_name"].endswith(
                ("root-account-usage", "ab12cd34", "ef56gh78", "x2p7q")
            )
            assert row["threshold_days"] in ("7", "30")
    assert {r["rule_name"] for r in rows if r["kind"] == "unreadable"} == {"root-account-usage"}
    evidence = json.loads(render_json(report))
    for account in evidence["accounts"]:
        assert {"rule_name", "threshold_days", "period"} <= set(account)
        assert account["period"] == evidence["period"]
    assert "Accounts: 7" in render_text(report)


class PeakConcurrency:
    """The most threads inside `hold` at once."""

    def __init__(self) -> None:
        self.active = self.peak = 0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(seconds)
        with self._lock:
            self.active -= 1


def test_accounts_run_concurrently_but_never_more_than_max_workers():
    concurrency = PeakConcurrency()

    class SlowRefusingOpener:
        description = "slow"

        def open(self, account_id, region):
            concurrency.hold(0.05)
            raise MemberRoleRefusedError(f"refused {account_id}", code="AccessDenied")

    targets = [(f"{n:012d}", "eu-west-1") for n in range(12)]
    started = time.monotonic()
    outcomes = read_accounts(
        targets, SlowRefusingOpener(), rule_name="r", since=SINCE, until=UNTIL, max_workers=4
    )
    assert time.monotonic() - started < 12 * 0.05  # overlapped
    assert concurrency.peak == 4
    assert [(o.account_id, o.unreadable.error) for o in outcomes] == [
        (account, f"refused {account}") for account, _ in targets
    ]


def test_one_worker_reads_one_account_at_a_time():
    concurrency = PeakConcurrency()

    def read(item: int) -> int:
        concurrency.hold(0.02)
        return item

    assert each_in_parallel(read, range(4), 1, lambda done, total: None) == [0, 1, 2, 3]
    assert concurrency.peak == 1


def test_a_failing_item_stops_the_run_and_no_item_waiting_is_started():
    started: list[int] = []

    def read(item: int) -> None:
        started.append(item)
        if item == 0:
            raise RuntimeError("surprise")
        time.sleep(0.3)  # longer than the run takes to cancel what waits

    with pytest.raises(RuntimeError, match="surprise"):
        each_in_parallel(read, range(5), 1, lambda done, total: None)
    assert started in ([0], [0, 1])  # the one worker may have taken the next already


def test_a_failing_run_ends_only_after_the_items_already_started_have_ended():
    # No read of an account goes on behind the error the command reports.
    slow_started, ended = threading.Event(), []

    def read(item: str) -> None:
        if item == "fails":
            slow_started.wait(5)
            raise RuntimeError("surprise")
        slow_started.set()
        time.sleep(0.2)
        ended.append(item)

    with pytest.raises(RuntimeError, match="surprise"):
        each_in_parallel(read, ["fails", "slow"], 2, lambda done, total: None)
    assert ended == ["slow"]


def test_an_unexpected_error_in_one_account_is_listed_and_the_others_still_read(capsys):
    organization = SimulatedOrganization(NOW)

    class Opener:
        description = "test"

        def open(self, account_id, region):
            if account_id == "222222222222":
                raise KeyError("Credentials")
            return organization.config_client(region, None)

    outcomes = read_accounts(
        [("222222222222", "us-east-1"), (AUDITOR_ACCOUNT, "us-east-1")],
        Opener(),
        rule_name="root-account-usage",
        since=SINCE,
        until=UNTIL,
    )
    assert outcomes[0].unreadable.error == "unexpected KeyError: 'Credentials'"
    assert outcomes[1].read is not None
    assert capsys.readouterr().err == ""  # no traceback for users


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_member_role_arn_is_in_the_partition_of_the_auditors_region(region, partition):
    session = boto3.Session(region_name=region)
    opener = member_opener(AuditorSession(None, "111111111111", region, session), "Auditor", None)
    assert opener.role_arn("222222222222") == f"arn:{partition}:iam::222222222222:role/Auditor"


def test_the_default_opener_reads_the_auditors_own_config_and_never_shows_the_external_id():
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        auditor = AuditorSession(None, "111111111111", "us-east-1", session)
        opener = member_opener(auditor, "Auditor", "external-id-2026")
        own = opener.open("111111111111", "eu-west-1")  # the session's own keys: no AssumeRole
    assert (own.meta.service_model.service_name, own.meta.region_name) == ("config", "eu-west-1")
    assert "external-id-2026" not in repr(opener)  # a shared secret between the accounts


def test_assume_role_asks_for_a_short_session_with_the_external_id_and_retries_throttling():
    sts, stub = stubbed("sts")
    built = []
    opener = MemberRoleOpener(
        sts,
        lambda region, credentials: built.append((region, credentials)) or "client",
        role_name="Auditor",
        partition="aws",
        own_account="111111111111",
        external_id="audit-2026",
        sleep=lambda seconds: None,
    )
    request = {
        "RoleArn": "arn:aws:iam::222222222222:role/Auditor",
        "RoleSessionName": SESSION_NAME,
        "DurationSeconds": 900,
        "ExternalId": "audit-2026",
    }
    stub.add_client_error("assume_role", "Throttling", http_status_code=400)
    stub.add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAEXAMPLEEXAMPLE01",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": NOW + timedelta(minutes=15),
            }
        },
        request,
    )
    with stub:
        assert opener.open("222222222222", "eu-west-1") == "client"
        assert opener.open("111111111111", "eu-west-1") == "client"  # own: no AssumeRole
    assert built == [
        (
            "eu-west-1",
            {
                "aws_access_key_id": "ASIAEXAMPLEEXAMPLE01",
                "aws_secret_access_key": "secret",
                "aws_session_token": "token",
            },
        ),
        ("eu-west-1", None),
    ]


def test_assume_role_refused_is_its_own_error_naming_the_role():
    sts, stub = stubbed("sts")
    opener = MemberRoleOpener(
        sts, lambda r, c: None, role_name="Auditor", partition="aws", own_account="1"
    )
    stub.add_client_error("assume_role", "AccessDenied", "not authorized", http_status_code=403)
    with stub, pytest.raises(MemberRoleRefusedError, match="Auditor: AccessDenied: not author"):
        opener.open("222222222222", "us-east-1")
    assert issubclass(MemberRoleRefusedError, HistoryUnavailableError)


def test_member_role_credentials_from_a_real_assume_role_answer_reach_the_client():
    built = []
    with mock_aws():
        opener = MemberRoleOpener(
            boto3.client("sts", region_name="us-east-1"),
            lambda region, credentials: built.append((region, credentials)),
            role_name="Auditor",
            partition="aws",
            own_account="111111111111",
        )
        opener.open("222222222222", "ap-southeast-2")
    [(region, credentials)] = built
    assert region == "ap-southeast-2"
    assert credentials["aws_access_key_id"].startswith("ASIA")
    assert set(credentials) == {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}


def test_cli_demo_organization_writes_one_evidence_file(tmp_path, capsys):
    target = tmp_path / "organization.json"
    code = main(["history", "--demo", "organization", "--format", "json", "--output", str(target)])
    assert code == 0
    evidence = json.loads(target.read_text())
    assert evidence["summary"]["unreadable"] == ["444444444444"]
    assert "read through its role RootAccountUsageAuditor" in evidence["source"]
    assert capsys.readouterr().err == f"wrote {target}\n"  # no progress on a pipe


def test_cli_demo_organization_with_another_role_lists_every_member_unreadable(capsys):
    assert (
        main(["history", "--demo", "organization", "--member-role", "Missing", "--format", "json"])
        == 0
    )
    evidence = json.loads(capsys.readouterr().out)
    assert evidence["summary"]["unreadable"] == [
        "222222222222",
        "333333333333",
        "444444444444",
        "555555555555",
        "666666666666",
        "777777777777",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["--member-role", "RootAccountUsageAuditor"],
        ["--external-id", "x" * 1224],  # the longest sts:AssumeRole accepts
        ["--external-id", "Ab0_+=,.@:/-"],  # every character it accepts
        ["--max-workers", "1"],  # the fewest and the most workers allowed
        ["--max-workers", "64"],
    ],
)
def test_cli_demo_organization_takes_every_value_aws_and_the_options_allow(args, capsys):
    assert role_name("team/reader") == "team/reader"  # a role under a path
    full = (
        ["--member-role", "RootAccountUsageAuditor", *args] if args[0] != "--member-role" else args
    )
    code = main(["history", "--demo", "organization", "--format", "json", *full])
    assert code == 0, capsys.readouterr().err
    evidence = json.loads(capsys.readouterr().out)
    # STS's own model accepts them: only the account that refuses the role is unreadable.
    assert evidence["summary"]["unreadable"] == ["444444444444"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--member-role", "Auditor"], "--member-role needs --aggregator"),
        (["--external-id", "xy"], "--external-id needs --member-role"),
        (["--max-workers", "0"], "--max-workers must be from 1 to 64"),
        (["--max-workers", "65"], "--max-workers must be from 1 to 64"),
        (["--demo", "galaxy"], "invalid choice"),
        # Values AWS would refuse, named before anything is read.
        (
            ["--demo", "organization", "--external-id", "x"],
            "argument --external-id: 'x' is not an external id (2 to 1224 of",
        ),
        (["--demo", "organization", "--member-role", "Auditor", "--external-id", "a b"], "'a b'"),
        (["--demo", "organization", "--member-role", "Auditor", "--external-id", "é1"], "'é1'"),
        (
            ["--demo", "organization", "--member-role", "Auditor", "--external-id", "x" * 1225],
            "is not an external id",
        ),
        (["--demo", "organization", "--member-role", ""], "argument --member-role: '' is not"),
        (["--demo", "organization", "--member-role", "a" * 65], "is not an IAM role name"),
        (["--demo", "organization", "--member-role", "/team/reader"], "is not an IAM role name"),
        (
            ["--demo", "organization", "--member-role", "arn:aws:iam::111122223333:role/R"],
            "give the role's name, not its ARN",
        ),
        (["--aggregator", ""], "argument --aggregator: '' is not an AWS Config aggregator"),
        (["--aggregator", "org aggregator"], "is not an AWS Config aggregator name"),
        (["--demo", "--rule-name", ""], "argument --rule-name: '' is not an AWS Config rule"),
        (["--demo", "--rule-name", "  "], "is not an AWS Config rule name"),
        (["--demo", "--rule-name", "r" * 129], "is not an AWS Config rule name"),
        (["--demo", "--since", ""], "--since: '' is not an ISO-8601 timestamp"),
        (["--demo", "--until", ""], "--until: '' is not an ISO-8601 timestamp"),
        (["--demo", "--output", ""], "argument --output: '' is not a file name"),
    ],
)
def test_cli_history_options_misused_are_one_usage_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["history", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


MEMBER, MEMBER_RULE = "222222222222", "OrgConfigRule-root-account-usage-ab12cd34"


def member_rule_deleted(*elsewhere: str) -> dict:
    """The summary of an organization read whose member's rule (with a root use 30 days
    ago) was deleted today, the aggregator then listing only its other rule; that rule
    also reports in each region `elsewhere`, where ours never was."""
    accounts = (
        SimulatedAccount(AUDITOR_ACCOUNT, {"root-account-usage": Story()}),
        SimulatedAccount(
            MEMBER,
            {
                MEMBER_RULE: Story(password_uses=(30 * DAY,)),
                "s3-bucket-versioning-enabled": Story(),
            },
        ),
    )
    organization = SimulatedOrganization(NOW, accounts)
    del organization.configs[MEMBER].rules[MEMBER_RULE]
    auditor = organization.configs[AUDITOR_ACCOUNT]
    auditor.aggregate = [e for e in auditor.aggregate if e["ConfigRuleName"] != MEMBER_RULE]
    other = {"ConfigRuleName": "s3-bucket-versioning-enabled", "AccountId": MEMBER}
    compliant = {"Compliance": {"ComplianceType": "COMPLIANT"}}
    auditor.aggregate += [other | {"AwsRegion": region} | compliant for region in elsewhere]
    empty = SimulatedConfig(NOW, account_id=MEMBER, rules={"s3-bucket-versioning-enabled": Story()})

    def config_client(region, credentials):
        if region in elsewhere:
            return simulated_client("config", empty, region, credentials)
        return organization.config_client(region, credentials)

    opener = MemberRoleOpener(
        simulated_client("sts", organization),
        config_client,
        role_name=READ_ROLE,
        partition="aws",
        own_account=AUDITOR_ACCOUNT,
    )
    session = AuditorSession(
        organization.config_client("us-east-1", None),
        AUDITOR_ACCOUNT,
        "us-east-1",
        aggregator=AGGREGATOR,
        members=opener,
    )
    report = collect_evidence(
        session, rule_name="root-account-usage", since=SINCE, until=UNTIL, now=NOW
    )
    return json.loads(render_json(report))["summary"]


@pytest.mark.parametrize("elsewhere", [(), ("eu-west-1",)], ids=["one region", "two regions"])
def test_a_rule_deleted_in_a_member_still_shows_its_non_compliant_days(elsewhere):
    # Deleting a member's rule must not clean its audit: the account's own records, which
    # still name the rule, are read; with results in another region too, it is listed
    # once, with a deleted rule, not also "without the rule".
    summary = member_rule_deleted(*elsewhere)
    assert summary["ever_non_compliant"] == [MEMBER]
    assert summary["rule_deleted"] == [MEMBER]
    assert MEMBER not in summary["without_rule"]


def test_a_rule_deleted_in_the_auditors_own_account_is_read_without_member_roles():
    rule = "root-account-usage"
    accounts = (
        SimulatedAccount(
            AUDITOR_ACCOUNT,
            {rule: Story(password_uses=(30 * DAY,)), "s3-bucket-versioning-enabled": Story()},
        ),
    )
    organization = SimulatedOrganization(NOW, accounts)
    auditor = organization.configs[AUDITOR_ACCOUNT]
    del auditor.rules[rule]
    auditor.aggregate = [e for e in auditor.aggregate if e["ConfigRuleName"] != rule]
    session = AuditorSession(
        organization.config_client("us-east-1", None),
        AUDITOR_ACCOUNT,
        "us-east-1",
        aggregator=AGGREGATOR,
    )
    report = collect_evidence(session, rule_name=rule, since=SINCE, until=UNTIL, now=NOW)
    summary = json.loads(render_json(report))["summary"]
    assert summary["ever_non_compliant"] == [AUDITOR_ACCOUNT]
    assert summary["without_rule"] == []
