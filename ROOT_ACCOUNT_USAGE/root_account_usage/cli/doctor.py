"""`root-account-usage doctor`: does the deployment work, account by account, region by
region? Reads only (`_Account.client` refuses any other call); judges with core/health.py."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

from botocore.exceptions import ClientError

from ..core import health
from ..core.annotation import read_root_use
from ..core.cloudtrail_evidence import UnreadableRecordError, root_activity
from ..core.health import WARN, Check, judged
from ..core.parameters import RuleParameters
from ..core.plain_text import shortened
from ..core.recorded_activity import SLOTS, parameter_name
from ..core.regions import is_region_name
from ..core.rule_identity import RuleIdentity, identify, names_rule
from ..core.verdict import RESOURCE_TYPE
from ..history import organization
from ..history.config_reader import COMPLIANCE_RESOURCE_TYPE as COMPLIANCE
from ..history.config_reader import THROTTLED, ConfigHistoryReader, HistoryUnavailableError
from ..history.model import UNABLE_TO_EVALUATE, rule_parameters
from ..rule.aws import Retrier, error_code
from ..rule.budget import Sleep
from ..rule.evaluation import FAIL_CLOSED_LOG_MESSAGE
from . import options
from .options import MAX_WORKERS
from .output import TerminalProgress, emit

# template.yaml's metric filter and the metric its alarm watches: (name, namespace).
FAIL_CLOSED_PATTERN = f'{{ $.message = "{FAIL_CLOSED_LOG_MESSAGE}" }}'
FAIL_CLOSED_METRIC = ("UnableToEvaluate", "RootAccountUsage")

Clients = Callable[[str, str], Any]  # (service, region) -> a boto3 client
Checks = Iterator[Check]
READS = ("describe_", "get_", "list_", "lookup_", "simulate_")
RUNTIME, ARCHITECTURE = "python3.13", "arm64"  # as template.yaml deploys the function
# Grants the rule never needs: the role allowing one is broader than it should be.
MUST_NOT = ("iam:CreateAccessKey", "iam:DeleteLoginProfile", "config:PutConfigRule")
MAX_EVENTS = 50
ROOT = [{"AttributeKey": "Username", "AttributeValue": "root"}]  # as rule/cloudtrail.py
GUARD = "evidence.records-guard"
LIST_SCPS = ("organizations", "list_policies_for_target", "Policies")
DESCRIBE_SCP = ("organizations", "describe_policy")
HELP = "check that a deployment works (read-only)"
DESCRIPTION = (
    "Check the rule, its function, AWS Config, the evidence paths and the account's root "
    "events, one line per check. Exit 0 when no check FAILs, 1 when one does, 2 when AWS "
    "cannot be reached. Reads only."
)


@dataclass
class _Account:
    """One account's reads, and what earlier checks found for later ones."""

    clients: Clients
    account: str
    home: str
    rule_name: str
    functions: frozenset[str]
    regions: tuple[str, ...]
    now: datetime
    events: int
    retrier: Retrier  # stateless: shared by every account
    organization: Clients  # the caller's own: members cannot read SCPs
    pattern: dict[str, Any] | None = None  # the deployed re-evaluation rule's
    state: str = "ENABLED"
    rule: RuleIdentity | None = None
    parameters: RuleParameters | None = None
    management: str = ""  # the organization's management account, when it can be read
    unorganized: str = ""  # else why not: DescribeOrganization's error
    # One run's reads of the organization, shared by its accounts: an OU's parent, the SCPs of
    # the root or an OU and an SCP's text are read once, however many accounts sit below.
    read_once: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        """aws, aws-cn, aws-us-gov, ...: the function's (aws when none is known)."""
        return next(iter(self.functions), "arn:aws").split(":")[1]

    def client(self, service: str, operation: str, region: str) -> Any:
        if not operation.startswith(READS):
            raise ValueError(f"doctor makes read calls only, not {operation}")
        return self.clients(service, region or self.home)

    def call(self, service: str, operation: str, region: str = "", /, **request: Any) -> Any:
        return self.retrier.call(self.client(service, operation, region), operation, **request)

    def items(
        self, service: str, operation: str, key: str, region: str = "", /, **request: Any
    ) -> Iterator[Any]:
        """Every item under `key` of every page."""
        pages = self.retrier.pages(self.client(service, operation, region), operation, **request)
        return (item for page in pages for item in page.get(key, []))


def _rule(a: _Account) -> Checks:
    rules = a.items("config", "describe_config_rules", "ConfigRules")
    found = [r for r in rules if names_rule(r.get("ConfigRuleName", ""), a.rule_name)]
    if not found:
        yield judged("rule.exists", False, f"no rule {a.rule_name} in {a.home}")
        return
    rule = min(found, key=lambda r: r["ConfigRuleName"] != a.rule_name)
    a.rule = who = identify(rule, name=a.rule_name, functions=a.functions)
    yield judged("rule.exists", True, f"{who.name} ({rule.get('ConfigRuleState', '?')})")
    yield judged("rule.ours", who.ours, who.problem or f"runs {who.source}")
    a.parameters, invalid = rule_parameters(who.parameters or "{}")
    saw = f"ThresholdDays {a.parameters.threshold_days}" if a.parameters else invalid
    yield judged("rule.parameters", a.parameters is not None, str(saw))
    every = health.period(rule)
    status = a.call("config", "describe_config_rule_evaluation_status", ConfigRuleNames=[who.name])
    yield health.invocation((status["ConfigRulesEvaluationStatus"] or [{}])[0], every, a.now)
    latest = ConfigHistoryReader(a.clients("config", a.home)).current(a.account, who.name)
    if latest is None or latest.recorded_at is None:
        yield judged("rule.evaluation", False, "no evaluation of the account")
        return
    age = a.now - latest.recorded_at
    reads = latest.compliance_type == "COMPLIANT" or read_root_use(latest.annotation) is not None
    ok = age <= every + health.GRACE and reads and latest.state != UNABLE_TO_EVALUATE
    saw = f"{latest.state} {age.total_seconds() / 3600:.0f} h ago: {shortened(latest.annotation)}"
    yield judged("rule.evaluation", ok, saw)


def _function(a: _Account) -> Checks:
    if a.rule is None or not a.rule.ours:
        return  # the rule's checks said why
    arn = a.rule.source
    _, _, _, region, account, *_ = arn.split(":")
    if account != a.account:  # nothing here to read: not a PASS
        saw, fix = f"in account {account}", f"run doctor in account {account} for its checks"
        yield Check("function.active", WARN, saw, fix)
        return
    conf = a.call("lambda", "get_function_configuration", region, FunctionName=arn)
    state, update = conf.get("State", "Active"), conf.get("LastUpdateStatus", "Successful")
    runtime, architectures = conf.get("Runtime"), conf.get("Architectures")
    yield judged("function.active", state == "Active" and update != "Failed", f"{state}, {update}")
    built = runtime == RUNTIME and architectures == [ARCHITECTURE]
    yield judged("function.runtime", built, f"{runtime} on {architectures}")
    latest = {"FunctionName": arn, "Qualifier": "$LATEST"}  # as the template sets it
    try:
        invoke = a.call("lambda", "get_function_event_invoke_config", region, **latest)
    except ClientError as error:
        if error_code(error) != "ResourceNotFoundException":
            raise
        invoke = {}
    target = invoke.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    yield judged("function.on-failure", bool(target), target or "no on-failure destination")
    name = conf["FunctionName"]
    for metric, namespace, dimensions in (
        ("Errors", "AWS/Lambda", [{"Name": "FunctionName", "Value": name}]),
        (*FAIL_CLOSED_METRIC, []),
    ):
        metric_is = {"MetricName": metric, "Namespace": namespace, "Dimensions": dimensions}
        alarms = a.call("cloudwatch", "describe_alarms_for_metric", region, **metric_is)
        states = sorted({alarm["StateValue"] for alarm in alarms.get("MetricAlarms", [])})
        yield judged(f"function.alarm:{metric}", states == ["OK"], ", ".join(states) or "no alarm")
    group = (conf.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{name}"
    filters = list(a.items("logs", "describe_metric_filters", "metricFilters", logGroupName=group))
    counts = any(_counts_fail_closed(f) for f in filters)
    yield judged("function.metric-filter", counts, f"{len(filters)} filter(s) on {group}")
    yield from _role(a, conf["Role"])


def _counts_fail_closed(metric_filter: Mapping[str, Any]) -> bool:
    """template.yaml's filter: the fail-closed line counted into the metric the alarm
    watches (a pattern that merely contains the message may be `!=`)."""
    pattern = "".join(str(metric_filter.get("filterPattern", "")).split())
    published = {
        (t.get("metricName"), t.get("metricNamespace"))
        for t in metric_filter.get("metricTransformations", [])
    }
    return pattern == "".join(FAIL_CLOSED_PATTERN.split()) and FAIL_CLOSED_METRIC in published


def _role(a: _Account, role: str) -> Checks:
    """iam:SimulatePrincipalPolicy for exactly what the rule calls with its parameters."""
    p = a.parameters or RuleParameters()
    if p.role.assume_role:
        yield judged("function.role", False, "reads through a role: run doctor there", warn=True)
        return
    needed = ["iam:GenerateCredentialReport", "iam:GetCredentialReport", "config:PutEvaluations"]
    needed += ["cloudtrail:LookupEvents"] * p.cloudtrail_evidence
    path, arn = p.root_activity_evidence, f"arn:{role.split(':')[1]}:ssm:{a.home}:{a.account}"
    records = [f"{arn}:parameter{parameter_name(path, slot)}" for slot in SLOTS] if path else []

    def denied(actions: list[str], resources: list[str]) -> list[str]:
        asked = {"PolicySourceArn": role, "ActionNames": actions, "ResourceArns": resources}
        answer = a.call("iam", "simulate_principal_policy", **asked)
        return [r["EvalActionName"] for r in answer["EvaluationResults"] if not _allows(r)]

    missing = denied(needed, ["*"]) + (denied(["ssm:GetParameters"], records) if records else [])
    calls = len(needed) + bool(records)
    saw = f"missing {', '.join(missing)}" if missing else f"allows the {calls} calls the rule makes"
    yield judged("function.role", not missing, saw)
    broader = sorted(set(MUST_NOT) - set(denied(list(MUST_NOT), ["*"])))
    extra = f"also allows {', '.join(broader)}" if broader else "nothing broader"
    yield judged("function.role.least", not broader, extra)


def _allows(result: Mapping[str, Any]) -> bool:
    """One simulated action: allowed overall and on each resource asked about."""
    each = [r.get("EvalResourceDecision") for r in result.get("ResourceSpecificResults", [])]
    return result["EvalDecision"] == "allowed" and all(d == "allowed" for d in each)


def _config(a: _Account) -> Checks:
    statuses = a.call("config", "describe_configuration_recorder_status")
    recorders = statuses["ConfigurationRecordersStatus"]
    on = [s for s in recorders if s.get("recording") and s.get("lastStatus") != "Failure"]
    yield judged("config.recorder", bool(on), f"{len(on)}/{len(recorders)} recording")
    channels = a.call("config", "describe_delivery_channel_status")["DeliveryChannelsStatus"]
    # Delivered, and nothing failing; Not_Applicable (nothing delivered yet) proves nothing.
    kinds = ("configHistoryDeliveryInfo", "configSnapshotDeliveryInfo", "configStreamDeliveryInfo")
    last = [[(c.get(kind) or {}).get("lastStatus") for kind in kinds] for c in channels]
    sent = [s for s in last if s[0] == "Success" and "Failure" not in s]
    failed = any("Failure" in s for s in last)
    saw = f"{len(sent)}/{len(channels)} delivering" + ", one failing" * failed
    if channels and not sent and not failed:  # nothing delivered yet: nothing shown to work
        yield Check("config.delivery", WARN, saw, "run doctor again after AWS Config delivers")
    else:
        yield judged("config.delivery", bool(sent) and not failed, saw)
    groups = a.call("config", "describe_configuration_recorders")["ConfigurationRecorders"]
    records = any(health.records_type(r, COMPLIANCE) for r in groups)
    yield judged("config.records-compliance", records, f"{COMPLIANCE} recorded: {records}")
    resource = f"{RESOURCE_TYPE}/{a.account}"
    ids = {"resourceType": COMPLIANCE, "resourceIds": [resource]}
    found = a.call("config", "list_discovered_resources", **ids)["resourceIdentifiers"]
    yield judged("config.resource-id", bool(found), f"compliance under {resource}: {bool(found)}")


def _evidence(a: _Account) -> Checks:
    if (p := a.parameters) is None:
        return
    on = p.cloudtrail_evidence
    yield judged("evidence.cloudtrail", on, "on" if on else "off")
    trails: list[health.Trail] = []
    for trail in a.call("cloudtrail", "describe_trails")["trailList"]:
        arn, region = trail["TrailARN"], trail.get("HomeRegion", a.home)
        logging = a.call("cloudtrail", "get_trail_status", region, Name=arn).get("IsLogging")
        selectors = a.call("cloudtrail", "get_event_selectors", region, TrailName=arn)
        trails.append((trail, bool(logging), health.logs_management(selectors)))
    gaps = health.trail_gaps(trails, a.regions)
    saw = f"no trail in {', '.join(gaps)}" if gaps else f"{len(trails)} trail(s) cover all"
    # Without re-evaluation only LookupEvents reads CloudTrail, and it needs no trail.
    yield judged("evidence.trail", not gaps, saw, warn=not p.root_activity_evidence)
    if p.root_activity_evidence:
        yield _forwarders(a)
        yield from _records(a, p.root_activity_evidence)


def _forwarders(a: _Account) -> Check:
    """In the home region a rule of the deployed pattern and state targeting a function; in
    every other region one forwarding to the home region's default bus."""
    if a.pattern is None:
        return judged("evidence.forwarders", False, "no deployed RootActivityRule to compare")
    mine = {**a.pattern, "account": [a.account]} if "account" in a.pattern else a.pattern
    key = health.pattern_key(json.dumps(mine))
    bus = f"arn:{a.partition}:events:{a.home}:{a.account}:event-bus/default"
    missing = []
    for region in a.regions:
        rules = a.items("events", "list_rules", "Rules", region)
        same = (r for r in rules if r.get("State") == a.state)
        ours = [r["Name"] for r in same if health.pattern_key(r.get("EventPattern")) == key]
        answers = (a.call("events", "list_targets_by_rule", region, Rule=name) for name in ours)
        targets = [target["Arn"] for answer in answers for target in answer["Targets"]]
        if not any(":lambda:" in t if region == a.home else t == bus for t in targets):
            missing.append(region)
    saw = f"missing in {', '.join(missing)}" if missing else f"in {len(a.regions)} region(s)"
    return judged("evidence.forwarders", not missing, saw)


def _records(a: _Account, path: str) -> Checks:
    names = [parameter_name(path, slot) for slot in SLOTS]
    absent = a.call("ssm", "get_parameters", Names=names).get("InvalidParameters", [])
    saw = f"missing {', '.join(absent)}" if absent else "present"
    yield judged("evidence.records", not absent, saw)
    arns = tuple(f"arn:{a.partition}:ssm:{a.home}:{a.account}:parameter{n}" for n in names)
    yield _guard(a, arns, path)


def _guard(a: _Account, arns: tuple[str, ...], path: str) -> Check:
    """The SCPs in force on the account (attached to it, an OU above it, the root) deny every
    change of the records; read with the caller's own credentials, as only the management
    account or its delegated administrator may."""
    if not a.management:  # no SCP is proof before the management account is known
        why = f"DescribeOrganization: {a.unorganized}"
        return judged(GUARD, False, f"SCPs not readable here ({why})")
    if a.account == a.management:
        return judged(GUARD, False, "SCPs never apply to the management account")
    org = replace(a, clients=a.organization)

    def once(read: Callable[[str], Any], key: str) -> Any:
        if (read.__name__, key) not in a.read_once:  # two threads may both read: one answer
            a.read_once[read.__name__, key] = read(key)
        return a.read_once[read.__name__, key]

    def parents(child: str) -> list[Any]:
        return list(org.items("organizations", "list_parents", "Parents", ChildId=child))

    def scps(target: str) -> list[str]:
        listed = org.items(*LIST_SCPS, TargetId=target, Filter="SERVICE_CONTROL_POLICY")
        return [policy["Id"] for policy in listed]

    def text(policy: str) -> Any:
        return org.call(*DESCRIBE_SCP, PolicyId=policy)["Policy"].get("Content")

    try:
        chain = [a.account]
        for _ in range(6):  # an account sits at most five OUs below the root
            [parent] = once(parents, chain[-1])
            chain.append(parent["Id"])
            if parent["Type"] == "ROOT":
                break
        ids = sorted({policy for target in chain for policy in once(scps, target)})
        texts = [once(text, policy) for policy in ids]
    except Exception as error:  # refused, or an answer of another shape
        return judged(GUARD, False, f"SCPs not readable here ({error_code(error)})")
    where = f"the SCPs on {' < '.join(chain)}"
    if missing := health.undenied(texts, arns):
        return judged(GUARD, False, f"{', '.join(missing)} on {path} not denied by {where}")
    return judged(GUARD, True, f"{where} deny changing {path}")


def _events(a: _Account) -> Checks:
    """Each region's latest root records, classified by the rule's own reader."""
    for region in a.regions:
        latest = {"LookupAttributes": ROOT, "MaxResults": a.events}
        records = a.call("cloudtrail", "lookup_events", region, **latest)["Events"]
        seen, unreadable = [], 0
        for record in records:
            try:
                act = root_activity(record, region)
            except UnreadableRecordError:
                unreadable += 1
                continue
            kind = "use" if act else "not root"
            kind = "failed sign-in" if act and act.attempt else kind
            kind = "AssumeRoot session" if act and act.assumed_root else kind
            seen.append(f"{kind}: {act.seen()}" if act else kind)
        seen += [f"{unreadable} unreadable"] * bool(unreadable)
        yield judged(f"events:{region}", not unreadable, "; ".join(seen) or "no root records")


GROUPS = (_rule, _function, _config, _evidence, _events)


def check_account(a: _Account) -> list[Check]:
    """Every group's checks; a group AWS will not answer is one WARN with the reason."""
    checks: list[Check] = []
    for group in GROUPS:
        try:
            checks.extend(group(a))  # the group's checks up to a failure are kept
        except Exception as error:  # AWS refused, or answered in a shape or page it should not
            said = shortened(" ".join(str(error).split()))
            checks.append(health.unreadable(group.__name__[1:], f"{error_code(error)}: {said}"))
    return [c._replace(account=a.account, region=c.region or a.home) for c in checks]


def add_options(parser: argparse.ArgumentParser) -> None:
    add = options.add_account_options(parser, "the rule's function (default: the stack's)")
    add("--stack-name", default="root-account-usage", help="the stack of template.yaml")
    add("--regions", help="comma-separated regions to check (default: every enabled region)")
    add("--events", type=int, default=5, help=f"root records read per region (1-{MAX_EVENTS})")
    add("--format", choices=("text", "json"), default="text")
    add("--region", help="the home region (where the rule runs)")


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if bool(args.aggregator) != bool(args.member_role):
        parser.error("--aggregator and --member-role go together")
    if not (1 <= args.events <= MAX_EVENTS and 1 <= args.max_workers <= MAX_WORKERS):
        parser.error(f"--events: 1 to {MAX_EVENTS}; --max-workers: 1 to {MAX_WORKERS}")
    regions = tuple(r.strip() for r in (args.regions or "").split(",") if r.strip())
    if bad := [r for r in regions if not is_region_name(r)]:
        parser.error(f"--regions: {options.shown(bad[0])} is not a region name")
    try:
        auditor = organization.open_session(args.profile, args.region)
    except organization.NoRegionError as error:
        parser.error(f"--region: {error}")
    except HistoryUnavailableError as error:
        return options.fail(str(error))
    session, members = auditor.session, None
    if args.member_role:  # a member opens as its clients by (service, region)
        members = organization.member_opener(
            auditor,
            args.member_role,
            args.external_id,
            lambda _, k: organization.session_clients(session, k),
        )
    clients = organization.session_clients(session)
    try:
        with TerminalProgress(sys.stderr) as progress:
            where = (auditor.account_id, auditor.region)
            checks = doctor(clients, *where, args, regions, members, progress.accounts)
    except HistoryUnavailableError as error:  # the aggregator could not be read
        return options.fail(f"cannot read AWS Config: {error}")
    emit((health.render_json if args.format == "json" else health.render_text)(checks))
    return health.exit_code(checks)


def doctor(
    clients: Clients,
    account: str,
    home: str,
    args: argparse.Namespace,
    regions: tuple[str, ...] = (),
    members: organization.MemberRoleOpener | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    now: datetime | None = None,
    sleep: Sleep | None = None,
) -> list[Check]:
    """Every check of the credentials' account, or of every account the aggregator knows
    (each through `members`; one that cannot be opened is a FAIL naming why)."""
    moment = now or datetime.now(UTC).replace(microsecond=0)
    functions, retrier = frozenset(args.function_arn), Retrier(THROTTLED, sleep=sleep)
    own = _Account(  # each member's SCPs are read with the caller's own clients
        clients, account, home, args.rule_name, functions, regions, moment, args.events, retrier,
        clients,
    )  # fmt: skip
    try:
        found = own.call("organizations", "describe_organization")["Organization"]
        own.management = found["MasterAccountId"]
    except Exception as error:  # no organization, or not allowed to read it: nobody is marked
        own.unorganized = error_code(error)
    setup = _setup(own, args.stack_name)
    if members is None:
        return setup + check_account(own)
    reader = ConfigHistoryReader(clients("config", home))
    view = reader.aggregator_view(args.aggregator, args.rule_name)
    accounts = sorted(view.regions.keys() | {target for target, _ in view.targets})

    def one(target: str) -> list[Check]:
        try:
            opened = cast(Clients, members.open(target, home)) if target != account else clients
            checks = check_account(replace(own, clients=opened, account=target))
        except HistoryUnavailableError as error:  # its role could not be assumed
            checks = [judged("account", False, shortened(error))._replace(region=home)]
        named = f"{target} (management)" if target == own.management else target
        return [c._replace(account=named) for c in checks]

    each = organization.each_in_parallel(one, accounts, args.max_workers, progress)
    return setup + [check for checks in each for check in checks]


def _setup(a: _Account, stack: str) -> list[Check]:
    """The stack's function and re-evaluation rule; the enabled regions."""
    checks = []
    try:
        found = a.call("cloudformation", "describe_stacks", StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
        a.functions = a.functions or frozenset({outputs["FunctionArn"]})
        if arn := outputs.get("RootActivityRuleArn"):
            rule = a.call("events", "describe_rule", Name=arn.rsplit("/", 1)[-1])
            a.pattern, a.state = json.loads(rule["EventPattern"]), rule["State"]
        checks.append(judged("stack", True, f"{stack}: function {outputs['FunctionArn']}"))
    except Exception as error:  # any failure: the stack is not there to compare with
        saw = f"{stack} not readable: {error_code(error)}"
        checks.append(judged("stack", False, saw, warn=bool(a.functions)))
    if not a.regions:
        try:
            a.regions = tuple(r["RegionName"] for r in a.call("ec2", "describe_regions")["Regions"])
        except Exception as error:
            a.regions = (a.home,)
            checks.append(health.unreadable("regions", f"{error_code(error)}: {a.home} only"))
    return [c._replace(account=a.account, region=a.home) for c in checks]
