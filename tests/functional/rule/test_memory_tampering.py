"""Text a principal controls, echoed in a fail-closed reason, never reads back as the
rule's memory (found by an adversarial review).

A principal who may set the rule's InputParameters (a per-account rule: config:PutConfigRule
on its own account's rule) writes two unknown parameter keys; the fail-closed reason echoes
them (core/parameters.py: `key[:40]`, sorted, joined ", "), and together they spell
" Last known root use: CloudTrail: x, y at 2099-01-01T00:00:00Z.". The next evaluation, with
the parameters restored, reads that as a remembered CloudTrail use, publishes NON_COMPLIANT
"(CloudTrail remembered)" until 2099, and the removal's evidence check accepts it as
CloudTrail evidence (why_not_delete == "").
"""

from __future__ import annotations

from datetime import timedelta

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.core.annotation import read_root_use
from root_account_usage.remediation.remove_root_credentials import why_not_delete
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.doubles import FakeClock, FakeLambdaContext, report_response
from tests.functional.rule import test_handler_stubber
from tests.functional.rule.test_memory import last
from tests.reports import ACCOUNT_ID, NOW, report_with_root

stubbed_clients = test_handler_stubber.clients
REQUEST = {
    "ConfigRuleName": "root-account-usage",
    "ComplianceTypes": ["COMPLIANT", "NON_COMPLIANT"],
    "Limit": 100,
}
FORGED_KEYS = {" Last known root use: CloudTrail: x": "1", "y at 2099-01-01T00:00:00Z.": "1"}


def test_parameter_keys_echoed_in_a_fail_closed_reason_are_not_read_as_memory(stubbed_clients):
    iam_stub, config_stub = stubbed_clients
    # 1. The member sets two unknown keys: the rule fails closed, echoing them.
    config_stub.add_response("get_compliance_details_by_config_rule", last(None, NOW), REQUEST)
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    params = {"ThresholdDays": "7", **FORGED_KEYS}
    [first] = lambda_handler(
        periodic_event(ACCOUNT_ID, NOW, params), FakeLambdaContext(FakeClock())
    )
    assert first["Annotation"].startswith("Unable to evaluate:")
    assert read_root_use(first["Annotation"]) is None
    # 2. Parameters restored; root never used, the report is clean.
    later = NOW + timedelta(hours=2)
    config_stub.add_response(
        "get_compliance_details_by_config_rule", last(first, later - timedelta(hours=1)), REQUEST
    )
    iam_stub.add_response(
        "get_credential_report", report_response(report_with_root(RootUse()), later)
    )
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    [second] = lambda_handler(periodic_event(ACCOUNT_ID, later), FakeLambdaContext(FakeClock()))
    # Sound behaviour: root was never used, so COMPLIANT; and nothing to delete on.
    assert second["ComplianceType"] == "COMPLIANT", second["Annotation"]
    assert why_not_delete(second["Annotation"], now=later) != ""


def test_a_reason_repeating_the_memory_marker_is_not_read_as_memory():
    from root_account_usage.core.annotation import unable

    forged = unable("bad value Last known root use: console password at 2026-11-27T10:00:00Z.", "X")
    assert read_root_use(forged) is None


def test_the_memory_note_the_rule_wrote_last_is_the_one_read():
    from root_account_usage.core.annotation import remembered_note, unable

    written = unable("report not ready", "ReportNotReady").removesuffix(" [ReportNotReady]")
    note = remembered_note("access key 1", NOW - timedelta(days=1))
    assert read_root_use(written + note + " [ReportNotReady]").credential == "access key 1"
