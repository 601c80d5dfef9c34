"""Remove a member account's root credentials through centralized root access: the script of
rdk_config/root-credentials-removal.yaml; its reasons: docs/deploy.md, "Centralized root access"."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from root_account_usage.core.annotation import (
    ASSUMED_ROOT_SESSION,
    CLOUDTRAIL,
    EVENTBRIDGE,
    is_unable,
    read_recent_root_use,
    read_threshold,
)
from root_account_usage.core.plain_text import NAME, REASON, SHORT, aws_error_code, error_text
from root_account_usage.core.regions import is_region_name
from root_account_usage.core.rule_identity import identify, names_rule, parameters_of
from root_account_usage.core.timestamps import format_timestamp, parse_timestamp

ROOT_TASK_POLICY = "IAMDeleteRootUserCredentials"
REQUIRED_FEATURE = "RootCredentialsManagement"
SESSION_SECONDS = 900  # AssumeRoot's maximum
CLOCK_SLACK = timedelta(seconds=60)  # between two CloudTrail records' times
MAX_SUMMARY = 1500
MAX_PAGES = 100  # of one IAM list call
MAX_LOOKUP_PAGES = 10  # of AssumeRoot calls in one region's 16-minute window
# The step's timeoutSeconds, and what its start (the runtime, imports) may take before
# client_maker's clock; one call's worst case with its settings: 3 attempts of a 10 s
# connect and a 20 s read, and the standard mode's backoff. A read timeout is per read,
# so a server sending a byte at a time could hold a call longer: AWS's endpoints do not.
STEP_SECONDS, START_SECONDS, CALL_SECONDS = 600, 30, 110
OPTIONAL_CREDENTIALS = ("LoginProfile", "MFADevices", "SigningCertificates")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_FEATURE_ERRORS = {
    "ServiceAccessNotEnabledException": "trusted access for IAM is not enabled in Organizations",
    "AccountNotManagementOrDelegatedAdministratorException": (
        "this account is neither the management account nor IAM's delegated administrator"
    ),
    "OrganizationNotFoundException": "this account is not in an organization",
    "OrganizationNotInAllFeaturesModeException": "the organization does not have all features",
}

# Outcomes: the first four succeed; the others fail the automation step after notifying.
DRY_RUN, REMOVED, NOTHING_TO_REMOVE = "dry-run", "removed", "nothing-to-remove"
NOTIFY_ONLY, PARTIAL = "notify-only", "partial"
REFUSED, FAILED = "refused", "failed"


class RefusedError(Exception):
    """The automation must not act on this account; the message says why."""


class RemovalNotCompleteError(RuntimeError):
    """Raised after notifying, so that the execution shows the refusal or failure."""


ClientMaker = Callable[..., Any]


class StepError(RuntimeError):
    """A failure this script names itself (an AWS error is named by its code)."""


class OutOfTimeError(StepError):
    """No call starts unless its worst case ends before the step's timeout."""


def handler(events: dict[str, Any], context: Any) -> dict[str, Any]:
    """aws:executeScript entry point: remove, notify, and fail unless it succeeded."""
    return remove_and_notify(events, client_maker())


def client_maker(clock: Callable[[], float] = time.monotonic) -> ClientMaker:
    """boto3 clients with bounded retries and timeouts, STS on its Regional endpoint in
    every partition (AssumeRoot refuses the global one, where an older SDK's "legacy"
    default sends it). A call raises OutOfTimeError rather than start too late to finish
    before the step's timeout, leaving one call's time to notify."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.get_session()
    core.set_config_variable("sts_regional_endpoints", "regional")
    session = boto3.Session(botocore_session=core)
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=10, read_timeout=20
    )
    started = clock()

    def in_time(model: Any, **_: Any) -> None:
        calls = 1 if model.name == "Publish" else 2  # this one, and the notice after it
        last_start = STEP_SECONDS - START_SECONDS - CALL_SECONDS * calls
        if clock() - started > last_start:
            raise OutOfTimeError(f"{model.name} not started: the step's {STEP_SECONDS} s end first")

    def client(service: str, **options: Any) -> Any:
        made = session.client(service, config=config, **options)  # type: ignore[call-overload]
        made.meta.events.register_first("before-call.*.*", in_time)
        return made

    return client


def _now() -> datetime:
    return datetime.now(UTC)


def remove_and_notify(events: dict[str, Any], client: ClientMaker) -> dict[str, Any]:
    """Remove, then notify; the result lists each deletion even when notifying fails.
    Raises RemovalNotCompleteError (after notifying) when refused or failed."""
    result = remove_root_credentials(events, client)
    topic = str(events.get("TopicArn") or "")
    result["Notified"] = "no: no TopicArn"
    if topic:
        # SNS takes one line under 100 characters: an AccountId refused as such is not in it.
        account = result["AccountId"] if _ACCOUNT_ID.match(result["AccountId"]) else "(invalid)"
        subject = f"Root credentials of AWS account {account}: {result['Outcome']}"
        try:
            client("sns", region_name=_region(events)).publish(
                TopicArn=topic, Subject=subject, Message=result["Summary"]
            )
            result["Notified"] = "yes"
        except Exception as error:
            result["Notified"] = f"no: {error_text(error)}"
            result["Summary"] += f" Notifying {topic} failed: {error_text(error)}."
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
            raise RefusedError(f"AccountId must be 12 digits, got {account[:SHORT]!r}")
        trigger = _check_trigger_name(events)
        partition = _check_target(account, region, client)
        if trigger:
            _check_rule_identity(events, trigger, account, partition, client)
            annotation = str(events.get("Annotation") or "")
            why_not = why_not_delete(annotation, now=_now())
            if not why_not:
                why_not = _session_opened_into(account, annotation, region, client)
            if why_not:
                return _result(account, NOTIFY_ONLY, f"nothing deleted (notify only): {why_not}")
        iam = _root_session(account, region, partition, client)
        found = _list_credentials(iam, also)
        if not found:
            return _result(account, NOTHING_TO_REMOVE, "root has none of the credentials asked for")
        if dry_run:
            return _result(account, DRY_RUN, "would delete " + ", ".join(n for n, _ in found))
        notes = []
        for name, delete in found:
            note = delete()
            deleted.append(name)
            notes += [note] if isinstance(note, str) else []
        done = "deleted " + ", ".join(deleted)
        if notes:
            done += f"; not done: {'; '.join(notes)}"
        return _result(account, PARTIAL if notes else REMOVED, done, tuple(deleted))
    except RefusedError as refusal:
        return _result(account, REFUSED, f"refused: {refusal}")
    except Exception as error:  # AWS errors and the unexpected: report, never hide
        done = f"; deleted before it: {', '.join(deleted)}" if deleted else ""
        named = str(error) if isinstance(error, StepError) else error_text(error)
        return _result(account, FAILED, f"failed: {named}{done}", tuple(deleted))


def why_not_delete(annotation: str, *, now: datetime) -> str:
    """Why the rule's annotation is no ground to delete at `now`; "" when it names a use
    inside the threshold that the credential report or CloudTrail showed (no member
    principal writes). A CloudTrail use is then checked against AssumeRoot sessions."""
    if is_unable(annotation):
        return "the rule could not evaluate the account"
    seen = read_recent_root_use(annotation)
    if seen is None:
        return "the rule's annotation names no root use inside its threshold"
    if ASSUMED_ROOT_SESSION in seen.credential:
        return "the use it names is an AssumeRoot session, not the root user's own"
    if seen.credential.startswith(EVENTBRIDGE):
        # The evaluation that then reads them stays NON_COMPLIANT: Config sends no event.
        return (
            "the use it names is only a recorded event (an SSM parameter the member account "
            "can write), not the credential report or CloudTrail; if the use was real, start "
            "this removal by hand"
        )
    # A late or replayed event: the evaluation no longer holds.
    threshold = read_threshold(annotation)
    if threshold is None or parse_timestamp(seen.time) < now - timedelta(days=threshold):
        return f"the use it names, at {seen.time}, is no longer inside the rule's threshold"
    return ""


def _session_opened_into(account: str, annotation: str, region: str, client: ClientMaker) -> str:
    """Why a CloudTrail use may be an AssumeRoot session's ("" when none): this account's
    own event history (which no member writes) shows AssumeRoot into `account` at most
    900 s before it. An action in such a session is type Root with no marker in the
    member account (IAM user guide, "Track privileged tasks in CloudTrail"), so the rule
    counts it as root's: this removal's own calls, or another task run from here."""
    seen = read_recent_root_use(annotation)
    if seen is None or not seen.credential.startswith(f"{CLOUDTRAIL}: "):
        return ""  # the report's columns: root's password and keys, never a session's
    used = parse_timestamp(seen.time)
    window = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "AssumeRoot"}],
        "StartTime": used - timedelta(seconds=SESSION_SECONDS) - CLOCK_SLACK,
        "EndTime": used + CLOCK_SLACK,
    }
    # AssumeRoot has Regional endpoints only: each call is in its region's event history.
    regions = client("ec2", region_name=region).describe_regions()["Regions"]
    for name in sorted(str(r["RegionName"]) for r in regions):
        pages = client("cloudtrail", region_name=name).get_paginator("lookup_events")
        for number, page in enumerate(pages.paginate(**window), start=1):
            if number > MAX_LOOKUP_PAGES:
                raise StepError(f"AssumeRoot calls in {name}: more than {number - 1} pages")
            for event in page.get("Events", []):
                opened = _opened_into(event, account)
                if opened:
                    return (
                        f"the use it names may be an AssumeRoot session into the account, "
                        f"opened from this account at {opened} ({name})"
                    )
    return ""


def _opened_into(event: dict[str, Any], account: str) -> str:
    """The time of a successful AssumeRoot into `account` (by id or root ARN), else ""."""
    try:
        record = json.loads(str(event.get("CloudTrailEvent")))
        target = str((record.get("requestParameters") or {}).get("targetPrincipal", ""))
        opened = format_timestamp(parse_timestamp(str(record["eventTime"])))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise StepError("an AssumeRoot record CloudTrail returned could not be read") from None
    into = target == account or re.fullmatch(rf"arn:[a-z-]+:iam::{account}:root", target)
    return opened if into and not record.get("errorCode") else ""


def _check_trigger_name(events: dict[str, Any]) -> str:
    """The rule that started the automation ("" for a person); refuses a name that is not ours."""
    trigger, expected = _text(events, "TriggeringRuleName"), _text(events, "RuleName")
    if trigger and not names_rule(trigger, expected):
        raise RefusedError(
            f"started by Config rule {trigger[:NAME]!r}, which is not {expected[:NAME]!r} "
            "or a rule AWS derived from it"
        )
    return trigger


def _check_rule_identity(
    events: dict[str, Any], trigger: str, account: str, partition: str, client: ClientMaker
) -> None:
    """Refuse unless TriggeringRuleArn's rule, read through RuleReaderRole, runs our function
    with the parameters it was deployed with."""
    arn = _text(events, "TriggeringRuleArn")
    parts = arn.split(":")
    if len(parts) < 6 or parts[1:3] != [partition, "config"] or parts[4] != account:
        raise RefusedError(f"TriggeringRuleArn {arn[:REASON]!r} is not a rule of account {account}")
    region = _region({"Region": parts[3]})
    functions = [f.strip() for f in _text(events, "RuleFunctionArns").split(",") if f.strip()]
    deployed = parameters_of(str(events.get("RuleParameters") or ""))
    if deployed is None:
        raise RefusedError("RuleParameters must be the rule's InputParameters (a JSON object)")
    credentials = client("sts", region_name=region).assume_role(
        RoleArn=f"arn:{partition}:iam::{account}:role/{_text(events, 'RuleReaderRole')}",
        RoleSessionName="root-credentials-removal",
        DurationSeconds=SESSION_SECONDS,
    )["Credentials"]
    config = client("config", region_name=region, **_keys(credentials))
    # None by that name: NoSuchConfigRuleException, a failure naming it.
    rules = config.describe_config_rules(ConfigRuleNames=[trigger]).get("ConfigRules", [])
    rule = next((r for r in rules if r.get("ConfigRuleArn") == arn), None)
    if rule is None:
        raise RefusedError(
            f"account {account} has no Config rule {trigger[:NAME]!r} of {arn[:REASON]}"
        )
    identity = identify(
        rule, name=_text(events, "RuleName"), functions=functions, parameters=deployed
    )
    if not identity.ours:
        raise RefusedError(f"Config rule {trigger[:NAME]!r} is not ours: {identity.problem}")


def _check_target(account: str, region: str, client: ClientMaker) -> str:
    """Refuse this account, the management account, or no centralized root; return the partition."""
    identity = client("sts", region_name=region).get_caller_identity()
    partition = str(identity["Arn"]).split(":")[1]
    if account == identity["Account"]:
        raise RefusedError("the target is the account running this automation")
    organizations = client("organizations", region_name=region)
    try:
        management = organizations.describe_organization()["Organization"]["MasterAccountId"]
    except Exception as error:
        if aws_error_code(error) == "AWSOrganizationsNotInUseException":
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
        reason = _FEATURE_ERRORS.get(aws_error_code(error))
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
    sts = client("sts", region_name=region)
    if not hasattr(sts, "assume_root"):
        raise RefusedError("the boto3 of this runtime has no sts:AssumeRoot")
    credentials = sts.assume_root(
        TargetPrincipal=account,
        TaskPolicyArn={"arn": f"arn:{partition}:iam::aws:policy/root-task/{ROOT_TASK_POLICY}"},
        DurationSeconds=SESSION_SECONDS,
    )["Credentials"]
    return client("iam", region_name=region, **_keys(credentials))


def _keys(credentials: dict[str, Any]) -> dict[str, str]:
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


Deletion = Callable[[], object]  # returns a str when something was left undone


def _list_credentials(iam: Any, also: tuple[str, ...]) -> list[tuple[str, Deletion]]:
    """(what, how to delete it) for each root credential asked for, MFA devices last (after
    the password they protect). No UserName: in a root session IAM takes the root user."""
    found: list[tuple[str, Deletion]] = []
    for key in _ids(iam, "list_access_keys", "AccessKeyMetadata", "AccessKeyId"):
        found.append((f"access key ...{key[-4:]}", partial(iam.delete_access_key, AccessKeyId=key)))
    if "SigningCertificates" in also:
        for certificate in _ids(iam, "list_signing_certificates", "Certificates", "CertificateId"):
            delete = partial(iam.delete_signing_certificate, CertificateId=certificate)
            found.append((f"signing certificate ...{certificate[-4:]}", delete))
    if "LoginProfile" in also:
        try:
            iam.get_login_profile()
        except Exception as error:
            if aws_error_code(error) not in ("NoSuchEntity", "NoSuchEntityException"):
                raise
        else:
            found.append(("login profile (console password)", iam.delete_login_profile))
    if "MFADevices" in also:
        for serial in _ids(iam, "list_mfa_devices", "MFADevices", "SerialNumber"):
            found.append((f"MFA device {serial}", partial(_remove_mfa, iam, serial)))
    return found


def _remove_mfa(iam: Any, serial: str) -> str | None:
    iam.deactivate_mfa_device(SerialNumber=serial)
    if ":mfa/" not in serial:  # a hardware device (no ARN): deactivated is removed
        return None
    try:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    except Exception as error:  # the task policy may refuse it: root no longer has it
        return f"virtual MFA device {serial} deactivated, not deleted ({error_text(error)})"
    return None


def _ids(iam: Any, operation: str, key: str, field: str) -> list[str]:
    """`field` of every item of an IAM list call; raises StepError past MAX_PAGES pages."""
    ids: list[str] = []
    for number, page in enumerate(iam.get_paginator(operation).paginate(), start=1):
        if number > MAX_PAGES:
            raise StepError(f"{key}: more than {MAX_PAGES} pages")
        ids += [str(item[field]) for item in page.get(key, [])]
    return ids


def _result(account: str, outcome: str, what: str, deleted: tuple[str, ...] = ()) -> dict[str, Any]:
    summary = f"Root credentials of AWS account {account or '(none given)'}: {what}."[:MAX_SUMMARY]
    return {"AccountId": account, "Outcome": outcome, "Summary": summary, "Deleted": [*deleted]}


def _text(events: dict[str, Any], key: str) -> str:
    return str(events.get(key) or "").strip()


def _region(events: dict[str, Any]) -> str:
    region = str(events.get("Region", "")).strip()
    if not is_region_name(region):
        raise RefusedError(f"Region must be a region name, got {region[:SHORT]!r}")
    return region


def _dry_run(value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise RefusedError(f'DryRun must be "true" or "false", got {text[:SHORT]!r}')
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
            f"AlsoDelete may name only {', '.join(OPTIONAL_CREDENTIALS)}; "
            f"got {unknown[0][:SHORT]!r}"
        )
    if "MFADevices" in names and "LoginProfile" not in names:
        # Root's MFA gone and its password kept leaves the account weaker than before.
        raise RefusedError("AlsoDelete names MFADevices without LoginProfile")
    return names
