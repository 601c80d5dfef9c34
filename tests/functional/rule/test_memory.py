"""The rule's memory, at the handler with Stubber (checked against Config's API model):
each evaluation reads back this rule's last one (GetComplianceDetailsByConfigRule), so a
root credential used and then deleted stays NON_COMPLIANT until its use plus the
threshold, in the default deployment (the report alone, no CloudTrail)."""

from __future__ import annotations

from datetime import timedelta

from ROOT_ACCOUNT_USAGE import lambda_handler
from root_account_usage.rule.budget import Budget
from root_account_usage.rule.evaluation import last_annotation
from root_account_usage.simulation.credential_report import RootUse
from root_account_usage.simulation.events import periodic_event
from tests.doubles import FakeClock, FakeLambdaContext, report_response, stubbed
from tests.functional.rule import test_handler_stubber
from tests.reports import ACCOUNT_ID, NOW, report_with_root

# Its `clients` fixture: the handler's IAM and Config clients, stubbed.
stubbed_clients = test_handler_stubber.clients
RULE = "root-account-usage"  # periodic_event's configRuleName
USED = NOW - timedelta(hours=1)


def last(evaluation, when):
    """GetComplianceDetailsByConfigRule's answer holding `evaluation` (None: none yet)."""
    if evaluation is None:
        return {"EvaluationResults": []}
    qualifier = {"ConfigRuleName": RULE, "ResourceType": "AWS::::Account", "ResourceId": ACCOUNT_ID}
    return {
        "EvaluationResults": [
            {
                "EvaluationResultIdentifier": {"EvaluationResultQualifier": qualifier},
                "ComplianceType": evaluation["ComplianceType"],
                "ResultRecordedTime": when,
                "ConfigRuleInvokedTime": when,
                "Annotation": evaluation["Annotation"],
            }
        ]
    }


def evaluate(clients, now, use, previous, *, report_error=None, memory_error=None):
    iam_stub, config_stub = clients
    request = {
        "ConfigRuleName": RULE,
        "ComplianceTypes": ["COMPLIANT", "NON_COMPLIANT"],
        "Limit": 100,
    }
    if memory_error:
        config_stub.add_client_error(
            "get_compliance_details_by_config_rule", memory_error, http_status_code=400
        )
    else:
        config_stub.add_response(
            "get_compliance_details_by_config_rule",
            last(previous, now - timedelta(days=1)),
            request,
        )
    if report_error:
        iam_stub.add_client_error("get_credential_report", report_error, http_status_code=403)
    else:
        content = report_with_root(use)
        iam_stub.add_response("get_credential_report", report_response(content, now))
    config_stub.add_response("put_evaluations", {"FailedEvaluations": []})
    [evaluation] = lambda_handler(periodic_event(ACCOUNT_ID, now), FakeLambdaContext(FakeClock()))
    return evaluation


def test_a_key_used_then_deleted_stays_non_compliant_until_its_use_plus_the_threshold(
    stubbed_clients,
):
    evaluation = evaluate(stubbed_clients, NOW, RootUse.at(access_key_1=USED), None)
    assert evaluation["ComplianceType"] == "NON_COMPLIANT"
    # Deleted: the report shows N/A for it from now on, every day of the threshold.
    for day in range(1, 7):
        evaluation = evaluate(stubbed_clients, NOW + timedelta(days=day), RootUse(), evaluation)
        assert evaluation["ComplianceType"] == "NON_COMPLIANT", day
        assert evaluation["Annotation"].startswith(
            "Root access key 1 was used at 2026-11-27T11:00:00Z, within the 7-day threshold; "
            "shown by this rule's last evaluation, not by the report now;"
        )
    # One second past the use plus the threshold: over, and still remembered.
    after = evaluate(stubbed_clients, USED + timedelta(days=7, seconds=1), RootUse(), evaluation)
    assert after["ComplianceType"] == "COMPLIANT"
    # The memory, then the caveats of this evaluation, which no later fit cuts.
    assert after["Annotation"].endswith(
        " Last known root use: access key 1 at 2026-11-27T11:00:00Z. CloudTrail unavailable."
    )


def test_a_fail_closed_evaluation_carries_the_use_and_the_next_one_reads_it(stubbed_clients):
    first = evaluate(stubbed_clients, NOW, RootUse.at(password=USED), None)
    denied = evaluate(
        stubbed_clients, NOW + timedelta(days=1), None, first, report_error="AccessDenied"
    )
    assert denied["Annotation"].startswith("Unable to evaluate:")
    assert denied["Annotation"].endswith(
        " Last known root use: console password at 2026-11-27T11:00:00Z. [AccessDenied]"
    )
    then = evaluate(stubbed_clients, NOW + timedelta(days=2), RootUse(), denied)
    assert then["ComplianceType"] == "NON_COMPLIANT"
    assert then["Annotation"].startswith("Root console password was used at 2026-11-27T11:00:00Z")


def test_a_memory_that_cannot_be_read_is_said_never_read_as_no_use(stubbed_clients):
    evaluation = evaluate(
        stubbed_clients, NOW, RootUse(), None, memory_error="AccessDeniedException"
    )
    assert evaluation["ComplianceType"] == "COMPLIANT"
    assert evaluation["Annotation"].endswith(" This rule's last evaluation unavailable.")


def test_of_two_results_for_the_account_the_memory_reads_the_latest_recorded():
    older = last({"ComplianceType": "COMPLIANT", "Annotation": "older"}, NOW - timedelta(days=2))
    newer = last({"ComplianceType": "NON_COMPLIANT", "Annotation": "newer"}, NOW)
    results = older["EvaluationResults"] + newer["EvaluationResults"]
    for answer in (results, results[::-1]):
        config, stub = stubbed("config")
        stub.add_response("get_compliance_details_by_config_rule", {"EvaluationResults": answer})
        with stub:
            read = last_annotation(config, RULE, ACCOUNT_ID, budget=Budget(FakeClock().time_left))
        assert read == "newer"
