"""The credential-removal script against botocore Stubber, which checks every request and
response against the real STS, IAM, Organizations and SNS models (moto has no AssumeRoot
and no ListOrganizationsFeatures)."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from hypothesis import given
from hypothesis import strategies as st

from root_account_usage.remediation import remove_root_credentials as removal

MEMBER = "222233334444"
MANAGEMENT = "111122223333"
DELEGATED_ADMIN = "555566667777"
REGION = "eu-west-1"
TASK_POLICY = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
TOPIC = f"arn:aws:sns:{REGION}:{DELEGATED_ADMIN}:root-credentials"
KEY_1, KEY_2 = "AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"
# What IAMDeleteRootUserCredentials allows a root session (AWS managed policy, v1).
TASK_POLICY_ACTIONS = {
    "DeleteAccessKey",
    "DeleteSigningCertificate",
    "DeleteLoginProfile",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
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
def clients():
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
    # AssumeRoot went to the Regional STS endpoint; the global one refuses it.
    sts_options = [options for service, options in clients.built if service == "sts"]
    assert sts_options[1]["endpoint_url"] == f"https://sts.{REGION}.amazonaws.com"
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


def test_the_password_mfa_and_certificates_go_only_when_asked(clients):
    checks_pass(clients)
    session = assumes_root(clients)
    root_keys(session)
    session.add_response(
        "get_login_profile",
        {"LoginProfile": {"UserName": "root", "CreateDate": datetime(2019, 3, 4, tzinfo=UTC)}},
        {},
    )
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
    virtual = f"arn:aws:iam::{MEMBER}:mfa/root-account-mfa-device"
    session.add_response(
        "list_mfa_devices",
        {
            "MFADevices": [
                {"UserName": "root", "SerialNumber": virtual, "EnableDate": datetime(2020, 1, 1)},
                {
                    "UserName": "root",
                    "SerialNumber": "GAHT12345678",
                    "EnableDate": datetime(2020, 1, 1),
                },
            ]
        },
        {},
    )
    session.add_response("delete_login_profile", {}, {})
    session.add_response(
        "delete_signing_certificate", {}, {"CertificateId": "TA7SMP42TDN5Z26OBPJE7EXAMPLE"}
    )
    session.add_response("deactivate_mfa_device", {}, {"SerialNumber": virtual})
    session.add_response("delete_virtual_mfa_device", {}, {"SerialNumber": virtual})
    session.add_response("deactivate_mfa_device", {}, {"SerialNumber": "GAHT12345678"})
    notified(clients, f"Root credentials of AWS account {MEMBER}: removed", "login profile")
    also = ["LoginProfile", "MFADevices", "SigningCertificates"]
    result = removal.remove_and_notify(events(DryRun="false", AlsoDelete=also), clients)
    assert result["Outcome"] == "removed"
    assert set(clients.session_calls) <= TASK_POLICY_ACTIONS


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
    ],
)
def test_bad_inputs_are_refused_without_any_aws_call(clients, changes, why):
    result = removal.remove_root_credentials(events(**changes), clients)
    assert (result["Outcome"], why in result["Summary"]) == ("refused", True)
    assert clients.built == []


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


def test_china_uses_its_own_partition_and_endpoint(clients):
    checks_pass(clients, partition="aws-cn")
    root_keys(assumes_root(clients, partition="aws-cn"))
    result = removal.remove_root_credentials(events(Region="cn-north-1"), clients)
    assert result["Outcome"] == "nothing-to-remove"
    sts_options = [options for service, options in clients.built if service == "sts"]
    assert sts_options[1]["endpoint_url"] == "https://sts.cn-north-1.amazonaws.com.cn"


def test_the_handler_builds_clients_with_bounded_retries(monkeypatch):
    built = []

    def client(service, **options):
        built.append((service, options["config"].retries))
        raise RuntimeError("no network in tests")

    monkeypatch.setattr(boto3, "client", client)
    with pytest.raises(removal.RemovalNotCompleteError, match="failed: RuntimeError"):
        removal.handler(events(TopicArn=""), None)
    assert built == [("sts", {"mode": "standard", "max_attempts": 5})]


def test_the_script_runs_on_the_automation_runtime_python_311():
    source = Path(removal.__file__).read_text()
    ast.parse(source, feature_version=(3, 11))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    # Nothing of this package: the automation document holds this file alone.
    assert imported <= {"__future__", "re", "collections.abc", "typing", "boto3", "botocore.config"}


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


@pytest.mark.parametrize(
    "trigger",
    [
        "root-account-usage",
        "OrgConfigRule-root-account-usage-ab12cd34",
        "root-account-usage-conformance-pack-x1y2z3w4",
    ],
)
def test_an_automatic_start_by_the_rule_or_its_derived_names_goes_ahead(clients, trigger):
    checks_pass(clients)
    root_keys(assumes_root(clients), KEY_1)
    result = removal.remove_root_credentials(
        events(TriggeringRuleName=trigger, RuleName="root-account-usage"), clients
    )
    assert result["Outcome"] == removal.DRY_RUN
    clients.verify()


@given(
    st.sampled_from(["OrgConfigRule-", "", "x-", "OrgConfigRule-x-"])
    .flatmap(
        lambda prefix: st.tuples(
            st.just(prefix),
            st.sampled_from(["root-account-usage", "rule.v2", "a"]),
            st.sampled_from(["", "-", "-conformance-pack-", "-strict-"]),
            st.text(alphabet="abcXYZ019-_", max_size=10),
        )
    )
    .map(lambda parts: ("".join(parts), parts[1]))
)
def test_the_automation_and_history_agree_on_which_rules_are_ours(candidate_and_name):
    from root_account_usage.history.rules import names_rule

    candidate, name = candidate_and_name
    assert removal.is_rule_or_derived(candidate, name) == names_rule(candidate, name)
