"""A simulated AWS Config holding a rule's history, judged daily by the real verdict code;
an organization of such accounts, with an aggregator and STS for each read role."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from ..core.cloudtrail_evidence import RootActivity, apply_activity
from ..core.exceptions import ReportUnavailableError
from ..core.report import parse_credential_report
from ..core.rule_identity import derived_creator
from ..core.verdict import RESOURCE_TYPE, Verdict, decide, unable_to_evaluate
from .credential_report import RootUse, render_report, root_row

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient

RULE_NAME = "root-account-usage"
DEMO_ACCOUNT = "123456789012"
DEMO_REGION = "us-east-1"


class Story(NamedTuple):
    """What happened to a simulated account's root user, as ages before "now"."""

    password_uses: tuple[timedelta, ...] = ()
    key_uses: tuple[timedelta, ...] = ()  # access key 1
    unreadable_days: tuple[int, ...] = ()  # days ago the rule could not read the report
    cloudtrail_uses: tuple[timedelta, ...] = ()  # root sign-ins only CloudTrail saw
    threshold_days: int = 7

    def parameters(self) -> dict[str, str]:
        evidence = {"CloudTrailEvidence": "true"} if self.cloudtrail_uses else {}
        return {"ThresholdDays": str(self.threshold_days), "AssumeRoleMode": "false"} | evidence


# The single-account demo: a console sign-in 52 days ago, a day the report could not be
# read, and an access key used two hours ago.
DEMO_STORY = Story(
    password_uses=(timedelta(days=52, hours=5),),
    key_uses=(timedelta(hours=2),),
    unreadable_days=(20,),
)


@functools.lru_cache(maxsize=16)  # an organization's accounts share a few stories
def daily_verdicts(now: datetime, days: int, story: Story) -> tuple[tuple[datetime, Verdict], ...]:
    """The rule's evaluations: one a day at 06:00 UTC, and the latest ten minutes ago."""
    first = (now - timedelta(days=days)).replace(hour=6, minute=0, second=0, microsecond=0)
    runs = (now - timedelta(hours=1) - first).days + 1  # the daily ones: an hour ago at most
    moments = [first + timedelta(days=n) for n in range(runs)] + [now - timedelta(minutes=10)]
    unreadable = {(now - timedelta(days=d)).date() for d in story.unreadable_days}
    return tuple(
        (moment, _verdict(now, moment, story, moment.date() in unreadable)) for moment in moments
    )


def _verdict(now: datetime, moment: datetime, story: Story, unreadable: bool) -> Verdict:
    threshold = story.threshold_days
    if unreadable:
        error = ReportUnavailableError(
            "IAM GetCredentialReport failed: AccessDenied", code="AccessDenied"
        )
        return unable_to_evaluate(error, threshold_days=threshold)
    generated = moment - timedelta(minutes=20)

    def last(ages: tuple[timedelta, ...]) -> datetime | None:
        return max((now - age for age in ages if now - age <= generated), default=None)

    use = RootUse.at(password=last(story.password_uses), access_key_1=last(story.key_uses))
    root = parse_credential_report(render_report([root_row(DEMO_ACCOUNT, use)]))
    verdict = decide(root, now=moment, threshold_days=threshold, report_generated_at=generated)
    if not story.cloudtrail_uses:
        return verdict
    seen = [
        RootActivity(now - age, "ConsoleLogin", DEMO_REGION, "203.0.113.7", False, DEMO_REGION)
        for age in story.cloudtrail_uses
        if now - age <= moment
    ]
    return apply_activity(verdict, seen, now=moment, threshold_days=threshold, cloudtrail_read=True)


class SimulatedConfig:
    """The AWS Config calls of `history` for one account and region: `rules` (name -> story),
    an item per change of any verdict, the first `throttled_calls` calls refused."""

    region = DEMO_REGION

    def __init__(
        self,
        now: datetime,
        *,
        account_id: str = DEMO_ACCOUNT,
        rules: Mapping[str, Story] | None = None,
        throttled_calls: int = 0,
    ) -> None:
        self.account_id = account_id
        self.rules = dict(rules if rules is not None else {RULE_NAME: DEMO_STORY})
        self.evaluations = {name: daily_verdicts(now, 120, s) for name, s in self.rules.items()}
        self.items: list[dict[str, Any]] = []
        self.aggregate: list[dict[str, Any]] = []  # as an aggregator in this account lists it
        self._throttled = throttled_calls
        self._lock = threading.Lock()
        previous: dict[str, str] = {}
        for runs in zip(*self.evaluations.values(), strict=True):  # every rule, the same moments
            state = {name: v.compliance_type for name, (_, v) in zip(self.rules, runs, strict=True)}
            if state != previous:
                at = runs[0][0] + timedelta(minutes=1)
                self.items.append(compliance_item(at, state, account_id=account_id))
            previous = state

    def throttle(self) -> None:
        with self._lock:
            if self._throttled > 0:
                self._throttled -= 1
                raise ServiceError("ThrottlingException", "Rate exceeded")

    def describe_config_rules(self, **_: Any) -> dict[str, Any]:
        self.throttle()
        function = f"arn:aws:lambda:{self.region}:{self.account_id}:function:root-account-usage"
        daily = {
            "EventSource": "aws.config",
            "MessageType": "ScheduledNotification",
            "MaximumExecutionFrequency": "TwentyFour_Hours",
        }
        source = {"Owner": "CUSTOM_LAMBDA", "SourceIdentifier": function, "SourceDetails": [daily]}
        rules = [
            dict(ConfigRuleName=name, Source=source, InputParameters=json.dumps(story.parameters()))
            | ({"CreatedBy": by} if (by := derived_creator(name, RULE_NAME)) else {})
            for name, story in self.rules.items()
        ]
        return {"ConfigRules": rules}

    def describe_configuration_recorders(self, **_: Any) -> dict[str, Any]:
        self.throttle()
        recorder = {"name": "default", "recordingGroup": {"allSupported": True}}
        return {"ConfigurationRecorders": [recorder]}

    def get_resource_config_history(self, **request: Any) -> dict[str, Any]:
        self.throttle()
        earlier, later = request.get("earlierTime"), request.get("laterTime")
        if earlier is not None and later is not None and later - earlier > timedelta(days=7):
            raise ServiceError("InvalidTimeRangeException", "more than 7 days")
        items = [
            item
            for item in self.items
            if (earlier is None or item["configurationItemCaptureTime"] >= earlier)
            and (later is None or item["configurationItemCaptureTime"] <= later)
        ]
        if request.get("chronologicalOrder") != "Forward":
            items.reverse()
        return _page(items, "configurationItems", request, "nextToken", request.get("limit") or 10)

    def get_compliance_details_by_config_rule(self, **request: Any) -> dict[str, Any]:
        self.throttle()
        name = request["ConfigRuleName"]
        if name not in self.evaluations:
            raise ServiceError("NoSuchConfigRuleException", f"no rule {name}")
        return {"EvaluationResults": self.latest_results(name, request.get("ComplianceTypes"))}

    def latest_results(self, name: str, types: list[str] | None) -> list[dict[str, Any]]:
        """The latest evaluation of the account under rule `name`, if of one of `types`."""
        moment, verdict = self.evaluations[name][-1]
        if types and verdict.compliance_type not in types:
            return []
        return [
            {
                "EvaluationResultIdentifier": {
                    "EvaluationResultQualifier": {
                        "ConfigRuleName": name,
                        "ResourceType": RESOURCE_TYPE,
                        "ResourceId": self.account_id,
                    },
                    "OrderingTimestamp": moment,
                },
                "ComplianceType": verdict.compliance_type,
                "ResultRecordedTime": moment + timedelta(seconds=40),
                "ConfigRuleInvokedTime": moment,
                "Annotation": verdict.annotation,
            }
        ]

    def describe_aggregate_compliance_by_config_rules(self, **request: Any) -> dict[str, Any]:
        self.throttle()
        limit = request.get("Limit") or 1000
        return _page(
            self.aggregate, "AggregateComplianceByConfigRules", request, "NextToken", limit
        )


def _page(
    items: list[dict[str, Any]], key: str, request: Mapping[str, Any], token: str, limit: int
) -> dict[str, Any]:
    """`limit` of `items` as `key`, from the offset the request's `token` carries."""
    start = int(request.get(token) or 0)
    page = {key: items[start : start + limit]}
    return page | ({token: str(start + limit)} if start + limit < len(items) else {})


def compliance_item(
    captured_at: datetime, rules: Mapping[str, str], *, account_id: str = DEMO_ACCOUNT
) -> dict[str, Any]:
    """The account's AWS::Config::ResourceCompliance item, with the fields `history` reads:
    `rules` maps rule name -> compliance type."""
    entries = [{"configRuleName": name, "complianceType": state} for name, state in rules.items()]
    return {
        "resourceType": "AWS::Config::ResourceCompliance",
        "resourceId": f"{RESOURCE_TYPE}/{account_id}",
        "configurationItemCaptureTime": captured_at,
        "configurationItemStatus": "ResourceDiscovered",
        "configuration": json.dumps({"configRuleList": entries}),
    }


class ServiceError(ClientError):
    """An error answer of the simulated service, as a client raises it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__({"Error": {"Code": code, "Message": message}}, "simulated")


_SESSION = boto3.session.Session()  # one for every simulated client: models load once
_SESSION_LOCK = threading.Lock()


def simulated_client(
    service: str,
    simulation: Any,
    region: str = DEMO_REGION,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """A boto3 client answered by `simulation`'s methods, checked by the API model; none sent."""
    keys = credentials or {"aws_access_key_id": "simulated", "aws_secret_access_key": "simulated"}
    with _SESSION_LOCK:  # boto3 sessions are not thread-safe; clients are
        client: Any = _SESSION.client(service, region_name=region, **keys)  # type: ignore[call-overload]
    names = {api: python for python, api in client.meta.method_to_api_mapping.items()}

    def remember_request(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["simulated_request"] = dict(params)

    def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, Any]:
        operation = getattr(simulation, names[model.name])
        try:
            parsed = operation(**context["simulated_request"])
        except ServiceError as error:
            return AWSResponse(None, 400, {}, None), error.response  # type: ignore[arg-type]
        if model.output_shape is not None:
            validate_parameters(parsed, model.output_shape)
        return AWSResponse(None, 200, {}, None), parsed  # type: ignore[arg-type]

    client.meta.events.register_first(f"before-parameter-build.{service}.*", remember_request)
    client.meta.events.register_first(f"before-call.{service}.*", answer)
    return client


AUDITOR_ACCOUNT = "111111111111"
AGGREGATOR = "organization"
READ_ROLE = "RootAccountUsageAuditor"
_KEY_PREFIX = "ASIA"  # what AssumeRole's temporary keys start with


class SimulatedAccount(NamedTuple):
    """One member account: its rules (name in the account -> story), and its faults."""

    account_id: str
    rules: Mapping[str, Story]
    refuses_role: bool = False  # the read role is missing or does not trust the auditor
    throttled_calls: int = 0  # its AWS Config refuses this many first calls


DAY = timedelta(days=1)
# Seven accounts, each telling a different story.
DEMO_ACCOUNTS = (
    # The auditor's own account: root never used.
    SimulatedAccount(AUDITOR_ACCOUNT, {RULE_NAME: Story()}),
    # A console sign-in, a day unreadable, an access key used two hours ago; its
    # organization rule name carries AWS's prefix and suffix.
    SimulatedAccount("222222222222", {f"OrgConfigRule-{RULE_NAME}-ab12cd34": DEMO_STORY}),
    # Root used long ago only; a legacy rule of another name is not this rule.
    SimulatedAccount(
        "333333333333",
        {
            f"OrgConfigRule-{RULE_NAME}-ef56gh78": Story(password_uses=(400 * DAY,)),
            f"legacy-{RULE_NAME}": Story(),
        },
    ),
    # The read role was never deployed here.
    SimulatedAccount("444444444444", {RULE_NAME: Story()}, refuses_role=True),
    # Busy: AWS Config throttles the first calls; deployed by a conformance pack.
    SimulatedAccount(
        "555555555555",
        {f"{RULE_NAME}-conformance-pack-k3m9x2p7q": Story(threshold_days=30)},
        throttled_calls=2,
    ),
    # A root sign-in that only CloudTrail saw, nine days ago: non-compliant for a week.
    SimulatedAccount("666666666666", {RULE_NAME: Story(cloudtrail_uses=(9 * DAY, 3 * DAY))}),
    # No root-account-usage rule at all (the aggregator knows it by another rule).
    SimulatedAccount("777777777777", {"s3-bucket-versioning-enabled": Story()}),
)


class SimulatedOrganization:
    """The accounts, their AWS Config, the auditor's aggregator, and STS for each read role."""

    region, auditor = DEMO_REGION, AUDITOR_ACCOUNT

    def __init__(self, now: datetime, accounts: Sequence[SimulatedAccount] | None = None) -> None:
        self.now = now
        self.accounts = {a.account_id: a for a in (accounts or DEMO_ACCOUNTS)}
        self.configs = {
            a.account_id: SimulatedConfig(
                now, account_id=a.account_id, rules=a.rules, throttled_calls=a.throttled_calls
            )
            for a in self.accounts.values()
        }
        # An auditor account outside the evaluated ones holds only the aggregator.
        alone = SimulatedConfig(now, account_id=self.auditor, rules={})
        self.configs.setdefault(self.auditor, alone).aggregate = [
            {
                "ConfigRuleName": name,
                "AccountId": a.account_id,
                "AwsRegion": self.region,
                "Compliance": {"ComplianceType": "COMPLIANT"},
            }
            for a in self.accounts.values()
            for name in a.rules
        ]

    def assume_role(self, **request: Any) -> dict[str, Any]:
        arn = request["RoleArn"]
        account_id = arn.split(":")[4]
        account = self.accounts.get(account_id)
        if account is None or account.refuses_role or not arn.endswith(f":role/{READ_ROLE}"):
            raise ServiceError(
                "AccessDenied",
                f"User: arn:aws:sts::{self.auditor}:assumed-role/Auditor/auditor "
                f"is not authorized to perform: sts:AssumeRole on resource: {arn}",
            )
        credentials = {
            "AccessKeyId": f"{_KEY_PREFIX}{account_id}SIMULATED",
            "SecretAccessKey": "simulated-secret",
            "SessionToken": "simulated-session-token",
            "Expiration": self.now + timedelta(seconds=900),
        }
        return {"Credentials": credentials}  # all that the opener reads

    def config_client(
        self, region: str, credentials: Mapping[str, str] | None
    ) -> ConfigServiceClient:
        """A member.ClientFactory: the credentials' account (the auditor's without any)."""
        key = (credentials or {}).get("aws_access_key_id", self.auditor)
        config = self.configs[key.removeprefix(_KEY_PREFIX)[:12]]
        return cast("ConfigServiceClient", simulated_client("config", config, region, credentials))
