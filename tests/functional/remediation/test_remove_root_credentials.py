"""The credential-removal script against botocore Stubber, which checks every request and
response against the real STS, IAM, Organizations, Config and SNS models (moto has no
AssumeRoot and no ListOrganizationsFeatures). Each attack of issue 18 (a forged record, a
look-alike rule, the removal's own session, a notification failure, another partition)
ends in "notify only" or a refusal naming its reason."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from root_account_usage.core import annotation as text
from root_account_usage.core.timestamps import format_timestamp
from root_account_usage.remediation import remove_root_credentials as removal
from tests.cfn import ROOT, load_template
from tests.functional.rule.test_cloudtrail_corpus import CORPUS
from tests.unit.core.test_rule_identity import described

MEMBER = "222233334444"
MANAGEMENT = "111122223333"
DELEGATED_ADMIN = "555566667777"
REGION = "eu-west-1"
TASK_POLICY = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
TOPIC = f"arn:aws:sns:{REGION}:{DELEGATED_ADMIN}:root-credentials"
KEY_1, KEY_2 = "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"
# What IAMDeleteRootUserCredentials allows a root session (IAM User Guide, "AWS managed
# policies for IAM": iam:DeleteVirtualMFADevice was removed from it on 7 January 2025).
TASK_POLICY_ACTIONS = {
    "DeleteAccessKey",
    "DeleteSigningCertificate",
    "DeleteLoginProfile",
    "DeactivateMFADevice",
    "ListAccessKeys",
    "ListSigningCertificates",
    "GetLoginProfile",
    "ListMFADevices",
    "GetUser",
    "GetAccessKeyLastUsed",
}


class Clients:
    """The client maker the script takes: real boto3 clients, each under a Stubber, handed
    out in the order the script asks for them; records how each was built."""

    def __init__(self):
        self.queue: dict[str, list[tuple[object, Stubber]]] = {}
        self.built: list[tuple[str, dict]] = []
        self.stubs: list[Stubber] = []
        self.session_calls: list[str] = []

    def add(self, service: str) -> Stubber:
        client = boto3.client(service, region_name=REGION)
        stub = Stubber(client)
        stub.activate()
        self.queue.setdefault(service, []).append((client, stub))
        self.stubs.append(stub)
        return stub

    def __call__(self, service: str, **options):
        self.built.append((service, options))
        client, _ = self.queue[service].pop(0)
        if "aws_session_token" in options:
            client.meta.events.register(
                "before-parameter-build.iam",
                lambda model, **_: self.session_calls.append(model.name),
            )
        return client

    def verify(self):
        for stub in self.stubs:
            stub.assert_no_pending_responses()


def checks_pass(clients: Clients, *, caller=DELEGATED_ADMIN, partition="aws", features=None):
    sts = clients.add("sts")
    sts.add_response(
        "get_caller_identity",
        {
            "UserId": "AROAEXAMPLE:automation",
            "Account": caller,
            "Arn": f"arn:{partition}:sts::{caller}:assumed-role/AutomationRole/automation",
        },
        {},
    )
    organizations = clients.add("organizations")
    organizations.add_response(
        "describe_organization",
        {"Organization": {"Id": "o-abcdefghij", "MasterAccountId": MANAGEMENT}},
        {},
    )
    iam = clients.add("iam")
    iam.add_response(
        "list_organizations_features",
        {
            "OrganizationId": "o-abcdefghij",
            "EnabledFeatures": features
            if features is not None
            else ["RootCredentialsManagement", "RootSessions"],
        },
        {},
    )


def assumes_root(clients: Clients, partition="aws"):
    sts = clients.add("sts")
    sts.add_response(
        "assume_root",
        {
            "Credentials": {
                "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                "SessionToken": "FQoGZXIvYXdzEXAMPLE",
                "Expiration": datetime(2026, 11, 27, 12, 15, tzinfo=UTC),
            },
            "SourceIdentity": "automation",
        },
        {
            "TargetPrincipal": MEMBER,
            "TaskPolicyArn": {"arn": TASK_POLICY.replace("arn:aws:", f"arn:{partition}:")},
            "DurationSeconds": 900,
        },
    )
    return clients.add("iam")


def root_keys(session: Stubber, *key_ids: str):
    metadata = [
        {"AccessKeyId": key, "Status": "Active", "CreateDate": datetime(2019, 3, 4, tzinfo=UTC)}
        for key in key_ids
    ]
    # No UserName anywhere: in a root session IAM takes the root user.
    session.add_response("list_access_keys", {"AccessKeyMetadata": metadata}, {})


def notified(clients: Clients, subject: str, message_part: str):
    sns = clients.add("sns")
    sns.add_response(
        "publish",
        {"MessageId": "m-1"},
        {"TopicArn": TOPIC, "Subject": subject, "Message": StubMessage(message_part)},
    )


class StubMessage(str):
    """Stubber compares expected parameters with ==: match a message by a part of it."""

    def __new__(cls, part):
        return super().__new__(cls, part)

    def __eq__(self, other):
        return isinstance(other, str) and str(self) in other

    def __ne__(self, other):
        return not self == other

    __hash__ = str.__hash__


def events(**changes):
    return {
        "AccountId": MEMBER,
        "DryRun": "true",
        "AlsoDelete": [],
        "TopicArn": TOPIC,
        "Region": REGION,
    } | changes


@pytest.fixture
def clients(monkeypatch):
    monkeypatch.setattr(removal, "_now", lambda: NOW)  # the annotations' own day
    made = Clients()
    yield made
    made.verify()


def test_dry_run_is_the_default_and_only_lists_what_it_would_delete(clients):
    checks_pass(clients)
    root_keys(assumes_root(clients), KEY_1)
    notified(clients, f"Root credentials of AWS account {MEMBER}: dry-run", "would delete")
    result = removal.remove_and_notify(events(DryRun=None) | {"DryRun": "true"}, clients)
    assert result["Outcome"] == "dry-run"
    assert result["Summary"] == (
        f"Root credentials of AWS account {MEMBER}: would delete access key ...MPLE."
    )
    assert KEY_1 not in result["Summary"]  # the key id is shown by its last characters only
    # No hand-built endpoint: botocore resolves STS's for the region (client_maker below).
    assert all("endpoint_url" not in options for _, options in clients.built)
    assert clients.session_calls == ["ListAccessKeys"]


def test_removal_deletes_the_access_keys_and_nothing_it_was_not_asked_to(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session, KEY_1, KEY_2)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_2})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "deleted access key")
    result = removal.remove_and_notify(events(DryRun="false"), clients)
    assert result["Outcome"] == "removed"
    assert set(clients.session_calls) <= TASK_POLICY_ACTIONS


def test_a_key_on_a_later_page_is_deleted_too(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    key_1, key_2 = (
        {"AccessKeyId": k, "Status": "Active", "CreateDate": datetime(2019, 3, 4, tzinfo=UTC)}
        for k in (KEY_1, KEY_2)
    )
    page = {"AccessKeyMetadata": [key_1], "IsTruncated": True, "Marker": "m1"}
    session.add_response("list_access_keys", page, {})
    session.add_response("list_access_keys", {"AccessKeyMetadata": [key_2]}, {"Marker": "m1"})
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_2})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "deleted access key")
    result = removal.remove_and_notify(events(DryRun="false"), clients)
    assert result["Deleted"] == ["access key ...MPLE", "access key ...MPLE"]
    assert clients.session_calls.count("ListAccessKeys") == 2


def test_a_listing_that_repeats_its_marker_fails_and_deletes_nothing(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    page = {"AccessKeyMetadata": [], "IsTruncated": True, "Marker": "again"}
    session.add_response("list_access_keys", page, {})
    session.add_response("list_access_keys", page, {"Marker": "again"})
    notified(clients, f"Root credentials of AWS account {MEMBER}: failed", "failed")
    with pytest.raises(removal.RemovalNotCompleteError, match="PaginationError"):
        removal.remove_and_notify(events(DryRun="false"), clients)


VIRTUAL_MFA = f"arn:aws:iam::{MEMBER}:mfa/root-account-mfa-device"


def root_has_everything(session: Stubber):
    """A root with no keys, a certificate, a password, a virtual and a hardware MFA device,
    listed in the order the script asks: MFA devices last, after the password."""
    root_keys(session)
    session.add_response(
        "list_signing_certificates",
        {
            "Certificates": [
                {
                    "UserName": "root",
                    "CertificateId": "TA7SMP42TDN5Z26OBPJE7EXAMPLE",
                    "CertificateBody": "-----BEGIN CERTIFICATE-----",
                    "Status": "Active",
                }
            ]
        },
        {},
    )
    session.add_response(
        "get_login_profile",
        {"LoginProfile": {"UserName": "root", "CreateDate": datetime(2019, 3, 4, tzinfo=UTC)}},
        {},
    )
    session.add_response(
        "list_mfa_devices",
        {
            "MFADevices": [
                {
                    "UserName": "root",
                    "SerialNumber": VIRTUAL_MFA,
                    "EnableDate": datetime(2020, 1, 1),
                },
                {
                    "UserName": "root",
                    "SerialNumber": "GAHT12345678",
                    "EnableDate": datetime(2020, 1, 1),
                },
            ]
        },
        {},
    )
    session.add_response(
        "delete_signing_certificate", {}, {"CertificateId": "TA7SMP42TDN5Z26OBPJE7EXAMPLE"}
    )
    session.add_response("delete_login_profile", {}, {})
    session.add_response("deactivate_mfa_device", {}, {"SerialNumber": VIRTUAL_MFA})


ALL = ["LoginProfile", "MFADevices", "SigningCertificates"]


def test_the_password_mfa_and_certificates_go_only_when_asked(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_has_everything(session)
    session.add_response("delete_virtual_mfa_device", {}, {"SerialNumber": VIRTUAL_MFA})
    session.add_response("deactivate_mfa_device", {}, {"SerialNumber": "GAHT12345678"})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "login profile")
    result = removal.remove_and_notify(events(DryRun="false", AlsoDelete=ALL), clients)
    assert result["Outcome"] == "removed"
    assert result["Deleted"][-2:] == [f"MFA device {VIRTUAL_MFA}", "MFA device GAHT12345678"]
    assert "signing certificate ...MPLE" in result["Deleted"]  # its id's last four only
    assert set(clients.session_calls) - {"DeleteVirtualMFADevice"} <= TASK_POLICY_ACTIONS


def test_a_refused_delete_virtual_mfa_device_is_a_partial_result_naming_it(clients):
    # AWS removed iam:DeleteVirtualMFADevice from the task policy: the device is deactivated
    # (root no longer has it), the rest goes on, and the result says what was not done.
    checks_pass(clients)
    session = assumes_root(clients)
    root_has_everything(session)
    session.add_client_error(
        "delete_virtual_mfa_device", "AccessDenied", "explicit deny in the task policy", 403
    )
    session.add_response("deactivate_mfa_device", {}, {"SerialNumber": "GAHT12345678"})
    notified(clients, f"Root credentials of AWS account {MEMBER}: partial", "not done")
    result = removal.remove_and_notify(events(DryRun="false", AlsoDelete=ALL), clients)
    assert result["Outcome"] == removal.PARTIAL
    assert (
        f"not done: virtual MFA device {VIRTUAL_MFA} deactivated, not deleted (AccessDenied"
        in (result["Summary"])
    )
    assert "MFA device GAHT12345678" in result["Deleted"]


def test_mfa_devices_without_the_password_are_refused_before_any_aws_call(clients):
    for also in (["MFADevices"], "MFADevices,SigningCertificates"):
        result = removal.remove_root_credentials(events(AlsoDelete=also), clients)
        assert result["Outcome"] == "refused"
        assert "MFADevices without LoginProfile" in result["Summary"]
    assert clients.built == []


def test_no_password_and_no_keys_is_nothing_to_remove(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session)
    session.add_client_error("get_login_profile", "NoSuchEntity", http_status_code=404)
    notified(clients, f"Root credentials of AWS account {MEMBER}: nothing-to-remove", "none")
    result = removal.remove_and_notify(events(AlsoDelete="LoginProfile"), clients)
    assert result["Outcome"] == "nothing-to-remove"


@pytest.mark.parametrize(
    ("setup", "why"),
    [
        (lambda c: checks_pass(c, caller=MEMBER), "the account running this automation"),
        (lambda c: checks_pass(c, features=["RootSessions"]), "centralized root access is not"),
        (lambda c: checks_pass(c, features=[]), "enable root credentials management"),
    ],
    ids=["own account", "only root sessions", "nothing enabled"],
)
def test_refusals_are_notified_and_fail_the_step_before_any_root_session(clients, setup, why):
    setup(clients)
    if why.startswith("the account running"):
        # Refused before Organizations and IAM are asked: hand those clients back unused.
        clients.queue.pop("organizations")
        clients.queue.pop("iam")
        clients.stubs = clients.stubs[:1]
    notified(clients, f"Root credentials of AWS account {MEMBER}: refused", why)
    with pytest.raises(removal.RemovalNotCompleteError, match=why):
        removal.remove_and_notify(events(DryRun="false"), clients)


def test_the_management_account_is_refused(clients):
    checks_pass(clients)
    clients.queue.pop("iam")
    clients.stubs.pop()
    notified(clients, f"Root credentials of AWS account {MANAGEMENT}: refused", "management")
    with pytest.raises(removal.RemovalNotCompleteError, match="the management account"):
        removal.remove_and_notify(events(AccountId=MANAGEMENT, DryRun="false"), clients)


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("AccountNotManagementOrDelegatedAdministratorException", "neither the management"),
        ("ServiceAccessNotEnabledException", "trusted access for IAM"),
    ],
)
def test_features_that_cannot_be_read_are_a_refusal_naming_why(clients, code, why):
    checks_pass(clients)
    iam_stub = clients.queue["iam"][0][1]
    iam_stub._queue.clear()  # replace the features answer with the error
    iam_stub.add_client_error("list_organizations_features", code, http_status_code=400)
    notified(clients, f"Root credentials of AWS account {MEMBER}: refused", why)
    with pytest.raises(removal.RemovalNotCompleteError, match=why):
        removal.remove_and_notify(events(), clients)


def test_not_in_an_organization_is_refused(clients):
    sts = clients.add("sts")
    sts.add_response(
        "get_caller_identity",
        {"UserId": "A", "Account": DELEGATED_ADMIN, "Arn": f"arn:aws:iam::{DELEGATED_ADMIN}:root"},
    )
    clients.add("organizations").add_client_error(
        "describe_organization", "AWSOrganizationsNotInUseException", http_status_code=400
    )
    notified(clients, f"Root credentials of AWS account {MEMBER}: refused", "not in an")
    with pytest.raises(removal.RemovalNotCompleteError):
        removal.remove_and_notify(events(), clients)


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"AccountId": "12345"}, "AccountId must be 12 digits"),
        ({"AlsoDelete": ["RootPassword"]}, "AlsoDelete may name only"),
        ({"DryRun": "maybe"}, 'DryRun must be "true" or "false"'),
        ({"AccountId": "12345", "AlsoDelete": None}, "AccountId must be 12 digits"),
    ],
    ids=["short account", "unknown credential", "dry run maybe", "no AlsoDelete at all"],
)
def test_bad_inputs_are_refused_without_any_aws_call(clients, changes, why):
    result = removal.remove_root_credentials(events(**changes), clients)
    assert (result["Outcome"], why in result["Summary"]) == ("refused", True)
    assert clients.built == []


def test_a_refused_account_id_is_left_out_of_the_one_line_sns_subject(clients):
    # SNS Publish (botocore's model): "Subjects must be UTF-8 text with no line breaks or
    # control characters, and less than 100 characters long". The message still names it.
    notified(clients, "Root credentials of AWS account (invalid): refused", "'12345\\n")
    with pytest.raises(removal.RemovalNotCompleteError, match="AccountId must be 12 digits"):
        removal.remove_and_notify(events(AccountId="12345\n" + "9" * 200), clients)


def listing_in_pages(session: Stubber, pages: int):
    """ListAccessKeys answering in `pages` pages, KEY_1 alone on the last."""
    key = {"AccessKeyId": KEY_1, "Status": "Active", "CreateDate": datetime(2019, 3, 4, tzinfo=UTC)}
    for number in range(1, pages + 1):
        asked = {"Marker": f"m{number - 1}"} if number > 1 else {}
        more = {"IsTruncated": True, "Marker": f"m{number}"} if number < pages else {}
        keys = [key] if number == pages else []
        session.add_response("list_access_keys", {"AccessKeyMetadata": keys} | more, asked)


@pytest.mark.parametrize(("pages", "outcome"), [(100, "dry-run"), (101, "failed")])
def test_a_listing_is_read_to_100_pages_and_no_further(clients, pages, outcome):
    checks_pass(clients)
    listing_in_pages(assumes_root(clients), pages)
    result = removal.remove_root_credentials(events(), clients)
    assert (result["Outcome"], clients.session_calls.count("ListAccessKeys")) == (outcome, pages)
    assert ("would delete access key ...MPLE" in result["Summary"]) == (pages == 100)


def test_a_failure_midway_says_what_was_deleted_before_it(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session, KEY_1, KEY_2)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    session.add_client_error("delete_access_key", "AccessDenied", "Denied by an SCP", 403)
    notified(clients, f"Root credentials of AWS account {MEMBER}: failed", "AccessDenied")
    with pytest.raises(removal.RemovalNotCompleteError) as failure:
        removal.remove_and_notify(events(DryRun="false"), clients)
    assert "AccessDenied: Denied by an SCP; deleted before it: access key ...MPLE" in str(
        failure.value
    )


def test_assume_root_refused_is_a_failure_naming_the_code(clients):
    checks_pass(clients)
    sts = clients.add("sts")
    sts.add_client_error("assume_root", "RegionDisabledException", http_status_code=403)
    notified(clients, f"Root credentials of AWS account {MEMBER}: failed", "RegionDisabled")
    with pytest.raises(removal.RemovalNotCompleteError):
        removal.remove_and_notify(events(), clients)


def test_china_uses_its_own_partition(clients):
    checks_pass(clients, partition="aws-cn")
    root_keys(assumes_root(clients, partition="aws-cn"))
    result = removal.remove_root_credentials(events(Region="cn-north-1"), clients)
    assert result["Outcome"] == "nothing-to-remove"


def partitions():
    import botocore

    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())
    for partition in data["partitions"]:
        regions = [name for name in partition["regions"] if not name.endswith("-global")]
        # us-east-1: where the "legacy" setting would send STS to the global endpoint.
        region = "us-east-1" if "us-east-1" in regions else regions[0]
        yield pytest.param(region, partition["outputs"]["dnsSuffix"], id=partition["id"])


@pytest.mark.parametrize(("region", "suffix"), list(partitions()))
def test_sts_is_regional_in_every_partition_as_botocore_resolves_it(monkeypatch, region, suffix):
    # Even where the runtime's SDK or environment would pick the global endpoint.
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    sts = removal.client_maker()("sts", region_name=region)
    assert sts.meta.endpoint_url == f"https://sts.{region}.{suffix}"
    assert sts.meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    config = sts.meta.config
    # CALL_SECONDS is this call's worst case: 3 tries of a connect and a read, and backoff.
    assert 3 * (config.connect_timeout + config.read_timeout) < removal.CALL_SECONDS


def test_no_call_starts_that_could_outlast_the_step_and_notifying_keeps_its_time():
    # The Automation step stops at timeoutSeconds (600) without notifying or naming what
    # was deleted: a call starts only if its worst case, and then the notice's, fit.
    clock = [0.0]
    make = removal.client_maker(clock=lambda: clock[0])
    sts, sns = make("sts", region_name=REGION), make("sns", region_name=REGION)
    for client, operation in ((sts, "get_caller_identity"), (sns, "publish")):
        stub = Stubber(client)
        stub.add_response(operation, {})
        stub.add_response(operation, {})
        stub.activate()
    step = load_template("rdk_config/root-credentials-removal.yaml")["Resources"][
        "RemovalDocument"
    ]["Properties"]["Content"]["mainSteps"][0]
    assert step["timeoutSeconds"] == removal.STEP_SECONDS
    last_call = removal.STEP_SECONDS - removal.START_SECONDS - 2 * removal.CALL_SECONDS
    clock[0] = last_call
    sts.get_caller_identity()
    clock[0] = last_call + 1
    with pytest.raises(removal.OutOfTimeError, match="GetCallerIdentity not started"):
        sts.get_caller_identity()
    sns.publish(TopicArn=TOPIC, Message="m")  # the notice still has its time
    clock[0] = removal.STEP_SECONDS - removal.START_SECONDS - removal.CALL_SECONDS + 1
    with pytest.raises(removal.OutOfTimeError, match="Publish not started"):
        sns.publish(TopicArn=TOPIC, Message="m")


def test_the_handler_fails_visibly_when_no_client_can_be_built(monkeypatch):
    def client_maker():
        def client(service, **options):
            raise RuntimeError("no network in tests")

        return client

    monkeypatch.setattr(removal, "client_maker", client_maker)
    with pytest.raises(removal.RemovalNotCompleteError, match="failed: RuntimeError"):
        removal.handler(events(TopicArn=""), None)


def test_the_script_runs_on_the_automation_runtime_python_311():
    source = Path(removal.__file__).read_text()
    ast.parse(source, feature_version=(3, 11))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    # Of this package only the core modules the document embeds beside it (standard library).
    package = {name for name in imported if name.startswith("root_account_usage")}
    assert package == {
        "root_account_usage.core.annotation",
        "root_account_usage.core.plain_text",
        "root_account_usage.core.regions",
        "root_account_usage.core.rule_identity",
        "root_account_usage.core.timestamps",
    }
    assert imported - package <= {
        "__future__",
        "json",
        "re",
        "time",
        "datetime",
        "collections.abc",
        "functools",
        "typing",
        "boto3",
        "botocore.session",
        "botocore.config",
    }


@pytest.mark.parametrize(
    "trigger",
    [
        "OrgConfigRule-root-account-usage-strict-ab12cd34",
        "OrgConfigRule-root-account-usage-mfa-check-x9y8z7w6",
        "root-account-usage-v2",
        "OrgConfigRule-root-account-usage-",
    ],
)
def test_an_automatic_start_by_another_rule_is_refused_before_any_aws_call(clients, trigger):
    sns = clients.add("sns")
    sns.add_response("publish", {"MessageId": "m-1"})
    changes = {"TriggeringRuleName": trigger, "RuleName": "root-account-usage"}
    with pytest.raises(removal.RemovalNotCompleteError, match="started by Config rule"):
        removal.remove_and_notify(events(**changes), clients)
    assert [service for service, _ in clients.built] == ["sns"]
    clients.verify()


# An automatic start: the organization rule of the sample event, which the removal
# describes in the member account before it deletes anything.
NAME = "root-account-usage"
ORG_RULE = "OrgConfigRule-root-account-usage-ab12cd34"
RULE_ARN = (
    f"arn:aws:config:{REGION}:{MEMBER}:config-rule/aws-service-rule/"
    "config-multiaccountsetup.amazonaws.com/config-rule-k3lx9q"
)
FUNCTION = f"arn:aws:lambda:{REGION}:{DELEGATED_ADMIN}:function:central-Function-1"
DEPLOYED = '{"ThresholdDays": "7", "ExecutionRoleName": "RootAccountUsageReader"}'
READER = f"arn:aws:iam::{MEMBER}:role/RootAccountUsageRuleReader"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
GENERATED = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
SIGNED_IN = datetime(2026, 11, 27, 11, 58, tzinfo=UTC)


def seen(what: str, source: str) -> str:
    """The annotation the rule writes for a use found outside the report."""
    activity = text.activity_seen(what, SIGNED_IN, source, "us-east-1")
    return text.fit(text.activity_use(activity, 7, GENERATED))


REPORT_USE = text.report_use(
    "password", SIGNED_IN, after_now=False, threshold_days=7, report_generated_at=GENERATED
)
CLOUDTRAIL_USE = seen("console sign-in from 203.0.113.7 without MFA", text.CLOUDTRAIL)
FORGED_RECORD = seen("console sign-in without MFA", text.EVENTBRIDGE)
SESSION = seen(f"{text.ASSUMED_ROOT_SESSION}: ListAccessKeys in us-east-1", text.CLOUDTRAIL)
RECORDED_SESSION = seen(f"{text.ASSUMED_ROOT_SESSION}: AssumeRoot", text.EVENTBRIDGE)
# A record decides before the report is read (the early path), then the next evaluations
# carry it from their memory: still only what the member's SSM parameter said.
RECORD_DECIDES = text.record_decides(
    text.activity_seen("console sign-in without MFA", SIGNED_IN, text.EVENTBRIDGE, "us-east-1"), 7
)
REMEMBERED_RECORD = text.remembered_use(
    f"{text.EVENTBRIDGE}: console sign-in without MFA", SIGNED_IN, 7, GENERATED
)
UNABLE = text.unable("the credential report was not ready", "ReportNotReady")
OLD_USE = text.report_use(
    "password",
    datetime(2025, 1, 1, tzinfo=UTC),
    threshold_days=7,
    report_generated_at=GENERATED,
    recent=False,
)


def automatic(annotation: str, **changes) -> dict:
    """The document's input from NonCompliantAccountRule, with the stack's defaults."""
    return (
        events(
            DryRun="false",
            TriggeringRuleName=ORG_RULE,
            RuleName=NAME,
            TriggeringRuleArn=RULE_ARN,
            Annotation=annotation,
            RuleFunctionArns=FUNCTION,
            RuleParameters=DEPLOYED,
            RuleReaderRole="RootAccountUsageRuleReader",
        )
        | changes
    )


def rule_described(clients: Clients, name: str = ORG_RULE, **changes):
    """The reader role assumed in the member account, and the rule as Config describes it."""
    clients.add("sts").add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIAREADEREXAMPLE123",
                "SecretAccessKey": "reader-secret",
                "SessionToken": "reader-token",
                "Expiration": datetime(2026, 11, 27, 12, 15, tzinfo=UTC),
            },
            "AssumedRoleUser": {
                "AssumedRoleId": "AROAEXAMPLE:root-credentials-removal",
                "Arn": f"arn:aws:sts::{MEMBER}:assumed-role/RootAccountUsageRuleReader/x",
            },
        },
        {"RoleArn": READER, "RoleSessionName": "root-credentials-removal", "DurationSeconds": 900},
    )
    creator = {ORG_RULE: "config-multiaccountsetup.amazonaws.com", NAME: None}.get(
        name, "config-conforms.amazonaws.com"
    )
    rule = described(ConfigRuleName=name, ConfigRuleArn=RULE_ARN, InputParameters=DEPLOYED)
    rule["Source"] = rule["Source"] | {"SourceIdentifier": FUNCTION}
    rule |= {"CreatedBy": creator} if creator else {}
    rule = {key: value for key, value in (rule | changes).items() if value is not None}
    clients.add("config").add_response(
        "describe_config_rules", {"ConfigRules": [rule]}, {"ConfigRuleNames": [name]}
    )


@pytest.mark.parametrize(
    ("annotation", "why"),
    [
        (FORGED_RECORD, "only a recorded event (an SSM parameter the member account can write)"),
        (RECORD_DECIDES, "only a recorded event"),
        (REMEMBERED_RECORD, "only a recorded event"),
        (SESSION, "an AssumeRoot session, not the root user's own"),
        (RECORDED_SESSION, "an AssumeRoot session"),
        (UNABLE, "the rule could not evaluate the account"),
        (OLD_USE, "names no root use inside its threshold"),
        ("", "names no root use"),
    ],
    ids=[
        "forged record",
        "record decides",
        "remembered record",
        "its own session",
        "recorded session",
        "unable",
        "old use",
        "empty",
    ],
)
def test_evidence_a_member_can_write_or_no_use_notifies_only(clients, annotation, why):
    checks_pass(clients)
    rule_described(clients)
    notified(clients, f"Root credentials of AWS account {MEMBER}: notify-only", why)
    result = removal.remove_and_notify(automatic(annotation), clients)
    assert result["Outcome"] == removal.NOTIFY_ONLY
    assert (
        result["Summary"].endswith(f"nothing deleted (notify only): {why}.")
        or why in (result["Summary"])
    )
    assert result["Deleted"] == []
    # No root session was opened: nothing could be deleted.
    assert [service for service, _ in clients.built].count("sts") == 2


@pytest.mark.parametrize(
    "annotation", [REPORT_USE, CLOUDTRAIL_USE], ids=["credential report", "CloudTrail"]
)
def test_a_use_the_report_or_cloudtrail_showed_deletes(clients, annotation):
    checks_pass(clients)
    rule_described(clients)
    if annotation == CLOUDTRAIL_USE:
        sessions_opened(clients)
    session = assumes_root(clients)
    root_keys(session, KEY_1)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "deleted access key")
    result = removal.remove_and_notify(automatic(annotation), clients)
    assert (result["Outcome"], result["Deleted"]) == ("removed", ["access key ...MPLE"])


@pytest.mark.parametrize(
    ("name", "trigger"),
    [
        (NAME, NAME),
        (ORG_RULE, ORG_RULE),
        (
            "root-account-usage-conformance-pack-x1y2z3w4",
            "root-account-usage-conformance-pack-x1y2z3w4",
        ),
    ],
    ids=["account rule", "organization rule", "conformance pack"],
)
def test_the_rule_and_the_rules_aws_derives_from_it_go_ahead(clients, name, trigger):
    checks_pass(clients)
    # A rule an account created runs that account's own function (core/rule_identity.py);
    # only a rule AWS created may run the central one.
    function = FUNCTION.replace(DELEGATED_ADMIN, MEMBER) if name == NAME else FUNCTION
    rule_described(clients, name, Source={"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": function})
    root_keys(assumes_root(clients), KEY_1)
    result = removal.remove_root_credentials(
        automatic(REPORT_USE, TriggeringRuleName=trigger, DryRun="true", RuleFunctionArns=function),
        clients,
    )
    assert result["Outcome"] == removal.DRY_RUN, result["Summary"]


def test_an_account_rule_running_the_central_function_is_refused(clients):
    checks_pass(clients)
    rule_described(clients, NAME)
    result = removal.remove_root_credentials(
        automatic(REPORT_USE, TriggeringRuleName=NAME), clients
    )
    assert result["Outcome"] == removal.REFUSED
    assert "other than its function's" in result["Summary"]


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ({"CreatedBy": None}, "created by an account principal, where a rule of that name"),
        (
            {
                "Source": {
                    "Owner": "CUSTOM_LAMBDA",
                    "SourceIdentifier": FUNCTION.replace("central", "evil"),
                    "SourceDetails": [
                        {"EventSource": "aws.config", "MessageType": "ScheduledNotification"}
                    ],
                }
            },
            "runs 'arn:aws:lambda:eu-west-1:555566667777:function:evil-Function-1'",
        ),
        (
            {"Source": {"Owner": "AWS", "SourceIdentifier": "ROOT_ACCOUNT_MFA_ENABLED"}},
            "not a custom Lambda rule",
        ),
        ({"InputParameters": '{"ThresholdDays": "3650"}'}, "are not the deployed"),
        ({"ConfigRuleArn": RULE_ARN.replace("k3lx9q", "zzzzzz")}, "has no Config rule"),
    ],
    ids=["not created by AWS", "another function", "managed rule", "other parameters", "other ARN"],
)
def test_a_look_alike_rule_is_refused_naming_why_before_any_root_session(clients, rule, why):
    checks_pass(clients)
    rule_described(clients, **rule)
    notified(clients, f"Root credentials of AWS account {MEMBER}: refused", why)
    with pytest.raises(removal.RemovalNotCompleteError, match="refused") as refusal:
        removal.remove_and_notify(automatic(REPORT_USE), clients)
    assert why in str(refusal.value)
    assert [service for service, _ in clients.built].count("sts") == 2  # no AssumeRoot


@pytest.mark.parametrize(
    "arn",
    [
        RULE_ARN.replace(MEMBER, "999988887777"),
        RULE_ARN.replace("arn:aws:", "arn:aws-cn:"),
        RULE_ARN.replace(":config:", ":lambda:"),
        "",
    ],
    ids=["another account", "another partition", "not Config", "none"],
)
def test_a_rule_arn_of_another_account_is_refused_before_describing_it(clients, arn):
    checks_pass(clients)
    result = removal.remove_root_credentials(automatic(REPORT_USE, TriggeringRuleArn=arn), clients)
    assert result["Outcome"] == "refused"
    assert f"is not a rule of account {MEMBER}" in result["Summary"]


def test_deletions_are_in_the_result_even_when_the_notification_fails(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session, KEY_1, KEY_2)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_2})
    clients.add("sns").add_client_error("publish", "AuthorizationError", "not allowed", 403)
    result = removal.remove_and_notify(events(DryRun="false"), clients)
    assert result["Outcome"] == "removed"
    assert result["Deleted"] == ["access key ...MPLE", "access key ...MPLE"]
    assert result["Notified"] == "no: AuthorizationError: not allowed"
    assert result["Summary"].endswith(f"Notifying {TOPIC} failed: AuthorizationError: not allowed.")


def test_a_failure_and_a_failed_notification_still_name_what_was_deleted(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session, KEY_1, KEY_2)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    session.add_client_error("delete_access_key", "AccessDenied", "Denied by an SCP", 403)
    clients.add("sns").add_client_error("publish", "AuthorizationError", "not allowed", 403)
    with pytest.raises(removal.RemovalNotCompleteError) as failure:
        removal.remove_and_notify(events(DryRun="false"), clients)
    assert "deleted before it: access key ...MPLE" in str(failure.value)
    assert "failed: AuthorizationError" in str(failure.value)


def test_the_embedded_document_runs_on_its_own(tmp_path):
    # The script exactly as the document holds it, in an interpreter that cannot import
    # this package (-I -S: no site-packages, no working directory on the path).
    document = load_template("rdk_config/root-credentials-removal.yaml")
    script = document["Resources"]["RemovalDocument"]["Properties"]["Content"]["mainSteps"][0][
        "inputs"
    ]["Script"]
    probe = (
        script
        + "\n"
        + (
            "import json, sys\n"
            "from datetime import UTC, datetime\n"
            "removal = sys.modules['root_account_usage.remediation.remove_root_credentials']\n"
            "bad = {'AccountId': '1', 'Region': 'eu-west-1'}\n"
            "now = datetime.now(UTC)\n"
            "print(json.dumps([removal.why_not_delete(sys.argv[1], now=now),\n"
            "    removal.remove_root_credentials(bad, None)]))\n"
        )
    )
    path = tmp_path / "embedded.py"
    path.write_text(probe)
    run = subprocess.run(
        [sys.executable, "-I", "-S", str(path), FORGED_RECORD],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert run.returncode == 0, run.stderr
    why, refused = json.loads(run.stdout)
    assert why == removal.why_not_delete(FORGED_RECORD, now=NOW) != ""
    assert refused["Outcome"] == "refused"
    assert str(ROOT) not in run.stdout


def test_a_rule_that_is_gone_is_a_failure_naming_it_before_any_root_session(clients):
    checks_pass(clients)
    rule_described(clients)
    config_stub = clients.queue["config"][0][1]
    config_stub._queue.clear()  # the rule was deleted since it reported
    config_stub.add_client_error("describe_config_rules", "NoSuchConfigRuleException", "gone", 400)
    notified(clients, f"Root credentials of AWS account {MEMBER}: failed", "NoSuchConfigRule")
    with pytest.raises(removal.RemovalNotCompleteError, match="NoSuchConfigRuleException: gone"):
        removal.remove_and_notify(automatic(REPORT_USE), clients)
    assert [service for service, _ in clients.built].count("sts") == 2  # no AssumeRoot


def sessions_opened(clients: Clients, *records: dict, found: bool = False):
    """This account's two regions, and the AssumeRoot calls CloudTrail holds for the window
    before the use: `records` in eu-west-1, searched first (name order); us-east-1 is
    searched too unless a session into the member was `found` there."""
    regions = ("us-east-1", "eu-west-1")
    listed = [{"RegionName": r, "Endpoint": f"ec2.{r}.amazonaws.com"} for r in regions]
    clients.add("ec2").add_response("describe_regions", {"Regions": listed}, {})
    window = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "AssumeRoot"}],
        "StartTime": SIGNED_IN - removal.CLOCK_SLACK - timedelta(seconds=900),
        "EndTime": SIGNED_IN + removal.CLOCK_SLACK,
    }
    events = [{"EventId": "e", "CloudTrailEvent": json.dumps(r)} for r in records]
    clients.add("cloudtrail").add_response("lookup_events", {"Events": events}, window)
    if not found:
        clients.add("cloudtrail").add_response("lookup_events", {"Events": []}, window)


def assume_root_record(target=MEMBER, **changes) -> dict:
    """AWS's AssumeRoot record ("Track privileged tasks in CloudTrail", step 1), made
    from this account into `target` 10 minutes before the use."""
    [sample] = [e["record"] for e in CORPUS if e["record"].get("eventName") == "AssumeRoot"]
    opened = format_timestamp(SIGNED_IN - timedelta(minutes=10))
    requested = sample["requestParameters"] | {"targetPrincipal": target}
    return sample | {"eventTime": opened, "requestParameters": requested} | changes


@pytest.mark.parametrize(
    "call", ["ListAccessKeys", "GetAccountSummary", "CreateLoginProfile", "DeleteBucketPolicy"]
)
@pytest.mark.parametrize(
    "target", [MEMBER, f"arn:aws:iam::{MEMBER}:root"], ids=["account id", "root ARN"]
)
def test_a_root_call_inside_a_session_opened_from_here_notifies_only(clients, call, target):
    # This removal's own calls, or another task run from here (an audit, a recovery
    # password): in the member they carry no marker, and must not delete.
    checks_pass(clients)
    rule_described(clients)
    sessions_opened(clients, assume_root_record(target), found=True)
    why = "may be an AssumeRoot session into the account, opened from this account at"
    notified(clients, f"Root credentials of AWS account {MEMBER}: notify-only", why)
    annotation = seen(f"API call {call} in us-east-1", text.CLOUDTRAIL)
    result = removal.remove_and_notify(automatic(annotation), clients)
    assert result["Outcome"] == removal.NOTIFY_ONLY
    assert "at 2026-11-27T11:48:00Z (eu-west-1)" in result["Summary"]


@pytest.mark.parametrize(
    "record",
    [
        None,
        assume_root_record(target="999988887777"),  # into another account
        assume_root_record(errorCode="AccessDenied"),  # refused: no session opened
    ],
    ids=["no session", "another account", "refused"],
)
def test_a_root_call_no_session_from_here_explains_deletes(clients, record):
    # A leaked root key (or console session) whose last call is one the removal makes
    # itself still deletes: only this account's own CloudTrail can excuse it.
    checks_pass(clients)
    rule_described(clients)
    sessions_opened(clients, *([record] if record else []))
    session = assumes_root(clients)
    root_keys(session, KEY_1)
    session.add_response("delete_access_key", {}, {"AccessKeyId": KEY_1})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "deleted access key")
    annotation = seen("API call ListAccessKeys in us-east-1", text.CLOUDTRAIL)
    assert removal.why_not_delete(annotation, now=NOW) == ""
    result = removal.remove_and_notify(automatic(annotation), clients)
    assert result["Outcome"] == removal.REMOVED


def test_only_a_cloudtrail_use_is_checked_against_sessions(clients):
    # The report's columns are root's password and keys, which no session uses.
    checks_pass(clients)
    rule_described(clients)
    root_keys(assumes_root(clients), KEY_1)
    result = removal.remove_root_credentials(automatic(REPORT_USE, DryRun="true"), clients)
    assert result["Outcome"] == removal.DRY_RUN
    assert "ec2" not in [service for service, _ in clients.built]


@pytest.mark.parametrize(
    ("age", "why"),
    [
        (timedelta(days=7), ""),
        (timedelta(days=7, seconds=1), "is no longer inside the rule's threshold"),
        (timedelta(days=400), "is no longer inside the rule's threshold"),
    ],
)
def test_a_late_or_replayed_evaluation_no_longer_deletes(age, why):
    # EventBridge retries a target for 24 hours; an old event must not act today.
    for annotation in (REPORT_USE, CLOUDTRAIL_USE):
        reason = removal.why_not_delete(annotation, now=SIGNED_IN + age)
        assert (why in reason) if why else reason == ""


def test_a_session_search_that_pages_on_and_on_fails_deleting_nothing(clients):
    checks_pass(clients)
    rule_described(clients)
    listed = [{"RegionName": "eu-west-1", "Endpoint": "ec2.eu-west-1.amazonaws.com"}]
    clients.add("ec2").add_response("describe_regions", {"Regions": listed}, {})
    trail = clients.add("cloudtrail")
    for page in range(removal.MAX_LOOKUP_PAGES + 1):  # the last is read, then refused
        trail.add_response("lookup_events", {"Events": [], "NextToken": f"t{page}"})
    notified(clients, f"Root credentials of AWS account {MEMBER}: failed", "more than 10 pages")
    with pytest.raises(removal.RemovalNotCompleteError, match="AssumeRoot calls in eu-west-1"):
        removal.remove_and_notify(automatic(CLOUDTRAIL_USE), clients)
    assert [service for service, _ in clients.built].count("sts") == 2  # no AssumeRoot


@pytest.mark.parametrize("raw", ["{", "[]", '{"eventTime": "soon"}'])
def test_an_assume_root_record_that_cannot_be_read_is_a_failure_not_a_pass(raw):
    with pytest.raises(removal.StepError, match="could not be read"):
        removal._opened_into({"CloudTrailEvent": raw}, MEMBER)
