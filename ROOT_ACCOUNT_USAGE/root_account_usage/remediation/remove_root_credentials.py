"""Remove a member account's root credentials through centralized root access.

The script of the SSM Automation document in rdk_config/root-credentials-removal.yaml
(aws:executeScript, python3.11, handler `handler`), which embeds this file verbatim
(tools/embed_remediation_script.py writes it there; a test keeps the two equal). It runs
in the management account or IAM's delegated administrator, for one member account:

1. Refuses, clearly, when the target is the management account or the account running
   it, when the account is not in an organization, or when centralized root access
   (iam:ListOrganizationsFeatures: RootCredentialsManagement) is not enabled.
2. Calls sts:AssumeRoot on a Regional STS endpoint (the global one refuses it) with the
   IAMDeleteRootUserCredentials task policy, for at most 900 seconds.
3. Lists the root user's access keys and, only when AlsoDelete names them, its login
   profile (console password), MFA devices and signing certificates. Every IAM call
   omits UserName: in a root session it means the root user.
4. Deletes them unless DryRun is "true" (the default), which only lists.
5. Publishes what it did, would do or refused to the topic, then fails the step when it
   refused or could not finish, so the execution shows it.

Started by an EventBridge rule (automatic removal), it is also told which Config rule's
NON_COMPLIANT started it, and refuses unless that is the root account usage rule or a rule
AWS derived from it (an event pattern can only match name prefixes, so another team's
`OrgConfigRule-<name>-strict-...` would otherwise start a removal).

Self-contained (standard library and boto3) and Python 3.11, the runtime's version.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

ROOT_TASK_POLICY = "IAMDeleteRootUserCredentials"
REQUIRED_FEATURE = "RootCredentialsManagement"
SESSION_SECONDS = 900  # AssumeRoot's maximum
OPTIONAL_CREDENTIALS = ("LoginProfile", "MFADevices", "SigningCertificates")
DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}  # every other partition: amazonaws.com
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# core/regions.py's pattern (this script embeds no package code; a test keeps them equal).
_REGION = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")
# The suffix AWS Config appends to organization and conformance-pack rule names (the same
# rule as `history`'s names_rule; a test keeps the two in agreement).
_RULE_SUFFIX = "[a-z0-9]+"
_FEATURE_ERRORS = {
    "ServiceAccessNotEnabledException": "trusted access for IAM is not enabled in Organizations",
    "AccountNotManagementOrDelegatedAdministratorException": (
        "this account is neither the management account nor IAM's delegated administrator"
    ),
    "OrganizationNotFoundException": "this account is not in an organization",
    "OrganizationNotInAllFeaturesModeException": "the organization does not have all features",
}

# Outcomes: the first two succeed; the others fail the automation step after notifying.
DRY_RUN, REMOVED, NOTHING_TO_REMOVE = "dry-run", "removed", "nothing-to-remove"
REFUSED, FAILED = "refused", "failed"


class RefusedError(Exception):
    """The automation must not act on this account; the message says why."""


class RemovalNotCompleteError(RuntimeError):
    """Raised after notifying, so that the execution shows the refusal or failure."""


ClientMaker = Callable[..., Any]


def handler(events: dict[str, Any], context: Any) -> dict[str, Any]:
    """aws:executeScript entry point: remove, notify, and fail unless it succeeded."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=20)

    def client(service: str, **options: Any) -> Any:
        # Any service by name: the stubs' per-service overloads cannot type that.
        return boto3.client(service, config=config, **options)  # type: ignore[call-overload]

    return remove_and_notify(events, client)


def remove_and_notify(events: dict[str, Any], client: ClientMaker) -> dict[str, Any]:
    result = remove_root_credentials(events, client)
    topic = str(events.get("TopicArn") or "")
    if topic:
        subject = f"Root credentials of AWS account {result['AccountId']}: {result['Outcome']}"
        client("sns", region_name=_region(events)).publish(
            TopicArn=topic, Subject=subject[:100], Message=result["Summary"]
        )
    if result["Outcome"] in (REFUSED, FAILED):
        raise RemovalNotCompleteError(result["Summary"])
    return result


def remove_root_credentials(events: dict[str, Any], client: ClientMaker) -> dict[str, Any]:
    """Do (or list) the removal for events["AccountId"]; never raises for AWS errors."""
    account = str(events.get("AccountId", "")).strip()
    deleted: list[str] = []
    try:
        region = _region(events)
        dry_run = _dry_run(events.get("DryRun", "true"))
        also = _also_delete(events.get("AlsoDelete"))
        if not _ACCOUNT_ID.match(account):
            raise RefusedError(f"AccountId must be 12 digits, got {account[:20]!r}")
        _check_trigger(events)
        partition = _check_target(account, region, client)
        iam = _root_session(account, region, partition, client)
        found = _list_credentials(iam, also)
        if not found:
            return _result(account, NOTHING_TO_REMOVE, "root has none of the credentials asked for")
        if dry_run:
            return _result(account, DRY_RUN, "would delete " + ", ".join(n for n, _ in found))
        for name, delete in found:
            delete()
            deleted.append(name)
        return _result(account, REMOVED, "deleted " + ", ".join(deleted))
    except RefusedError as refusal:
        return _result(account, REFUSED, f"refused: {refusal}")
    except Exception as error:  # AWS errors and the unexpected: report, never hide
        done = f"; deleted before it: {', '.join(deleted)}" if deleted else ""
        return _result(account, FAILED, f"failed: {_describe(error)}{done}")


def is_rule_or_derived(candidate: str, name: str) -> bool:
    """Whether Config rule `candidate` is `name`, or the rule an organization rule or a
    conformance pack made of it (`OrgConfigRule-<name>-<suffix>`,
    `<name>-conformance-pack-<suffix>`)."""
    if not name:
        return False
    escaped = re.escape(name)
    return (
        candidate == name
        or re.fullmatch(rf"OrgConfigRule-{escaped}-{_RULE_SUFFIX}", candidate) is not None
        or re.fullmatch(rf"{escaped}-conformance-pack-{_RULE_SUFFIX}", candidate) is not None
    )


def _check_trigger(events: dict[str, Any]) -> None:
    """An automatic start names the rule whose NON_COMPLIANT started it: it must be ours."""
    trigger = str(events.get("TriggeringRuleName") or "").strip()
    if not trigger:
        return  # started by hand
    expected = str(events.get("RuleName") or "").strip()
    if not is_rule_or_derived(trigger, expected):
        raise RefusedError(
            f"started by Config rule {trigger[:128]!r}, which is not {expected[:128]!r} "
            "or a rule AWS derived from it"
        )


def _check_target(account: str, region: str, client: ClientMaker) -> str:
    """Refuse the management account, this account, and an organization without
    centralized root access; return the partition."""
    identity = client("sts", region_name=region).get_caller_identity()
    partition = str(identity["Arn"]).split(":")[1]
    if account == identity["Account"]:
        raise RefusedError("the target is the account running this automation")
    organizations = client("organizations", region_name=region)
    try:
        management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    except Exception as error:
        if _code(error) == "AWSOrganizationsNotInUseException":
            raise RefusedError("this account is not in an organization") from None
        raise
    if account == management:
        raise RefusedError(
            "the target is the management account, whose root user centralized root "
            "access does not manage"
        )
    iam = client("iam", region_name=region)
    try:
        features = iam.list_organizations_features().get("EnabledFeatures", [])
    except Exception as error:
        reason = _FEATURE_ERRORS.get(_code(error))
        if reason is None:
            raise
        raise RefusedError(f"centralized root access cannot be used: {reason}") from None
    if REQUIRED_FEATURE not in features:
        raise RefusedError(
            "centralized root access is not enabled: enable root credentials management "
            "(IAM > Root access management) before removing root credentials"
        )
    return partition


def _root_session(account: str, region: str, partition: str, client: ClientMaker) -> Any:
    sts = client("sts", region_name=region, endpoint_url=_sts_endpoint(region, partition))
    if not hasattr(sts, "assume_root"):
        raise RefusedError("the boto3 of this runtime has no sts:AssumeRoot")
    credentials = sts.assume_root(
        TargetPrincipal=account,
        TaskPolicyArn={"arn": f"arn:{partition}:iam::aws:policy/root-task/{ROOT_TASK_POLICY}"},
        DurationSeconds=SESSION_SECONDS,
    )["Credentials"]
    return client(
        "iam",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _list_credentials(iam: Any, also: tuple[str, ...]) -> list[tuple[str, Callable[[], Any]]]:
    """(what, how to delete it) for each root credential asked for. No UserName: in a
    root session IAM takes the root user."""
    found: list[tuple[str, Callable[[], Any]]] = []
    for key in _all(iam.list_access_keys, "AccessKeyMetadata"):
        key_id = str(key["AccessKeyId"])
        found.append(
            (f"access key ...{key_id[-4:]}", _bind(iam.delete_access_key, AccessKeyId=key_id))
        )
    if "LoginProfile" in also:
        try:
            iam.get_login_profile()
        except Exception as error:
            if _code(error) not in ("NoSuchEntity", "NoSuchEntityException"):
                raise
        else:
            found.append(("login profile (console password)", iam.delete_login_profile))
    if "SigningCertificates" in also:
        for certificate in _all(iam.list_signing_certificates, "Certificates"):
            certificate_id = str(certificate["CertificateId"])
            found.append(
                (
                    f"signing certificate ...{certificate_id[-4:]}",
                    _bind(iam.delete_signing_certificate, CertificateId=certificate_id),
                )
            )
    if "MFADevices" in also:
        for device in _all(iam.list_mfa_devices, "MFADevices"):
            serial = str(device["SerialNumber"])
            found.append((f"MFA device {serial}", _mfa_remover(iam, serial)))
    return found


def _mfa_remover(iam: Any, serial: str) -> Callable[[], None]:
    def remove() -> None:
        iam.deactivate_mfa_device(SerialNumber=serial)
        if ":mfa/" in serial:  # a virtual device (an ARN); hardware ones have no ARN
            iam.delete_virtual_mfa_device(SerialNumber=serial)

    return remove


def _all(operation: Callable[..., Any], key: str) -> list[dict[str, Any]]:
    """Every item of a Marker-paged IAM list call (root has at most a handful)."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {}
    for _ in range(100):
        page = operation(**request)
        items.extend(page.get(key, []))
        if not page.get("IsTruncated"):
            return items
        request = {"Marker": page["Marker"]}
    raise RuntimeError(f"{key}: more than 100 pages")


def _bind(operation: Callable[..., Any], **arguments: Any) -> Callable[[], Any]:
    return lambda: operation(**arguments)


def _result(account: str, outcome: str, what: str) -> dict[str, Any]:
    summary = f"Root credentials of AWS account {account or '(none given)'}: {what}."
    return {"AccountId": account, "Outcome": outcome, "Summary": summary[:1500]}


def _region(events: dict[str, Any]) -> str:
    region = str(events.get("Region", "")).strip()
    if not _REGION.fullmatch(region):
        raise RefusedError(f"Region must be a region name, got {region[:20]!r}")
    return region


def _dry_run(value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise RefusedError(f'DryRun must be "true" or "false", got {text[:20]!r}')
    return text != "false"


def _also_delete(value: Any) -> tuple[str, ...]:
    """AlsoDelete: a list (or comma-separated text) drawn from OPTIONAL_CREDENTIALS."""
    if value is None or value == "":
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    names = tuple(str(item).strip() for item in items if str(item).strip())
    unknown = [name for name in names if name not in OPTIONAL_CREDENTIALS]
    if unknown:
        raise RefusedError(
            f"AlsoDelete may name only {', '.join(OPTIONAL_CREDENTIALS)}; got {unknown[0][:30]!r}"
        )
    return names


def _sts_endpoint(region: str, partition: str) -> str:
    return f"https://sts.{region}.{DNS_SUFFIX.get(partition, 'amazonaws.com')}"


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code") or "")
    return ""


def _describe(error: BaseException) -> str:
    code = _code(error)
    if not code:
        return type(error).__name__
    message = str(getattr(error, "response", {}).get("Error", {}).get("Message") or "")
    return f"{code}: {message[:200]}" if message else code
