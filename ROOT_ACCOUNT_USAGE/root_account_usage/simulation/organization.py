"""A simulated AWS Organization: each account's AWS Config, an aggregator, STS for each role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from .config import (
    DEMO_REGION,
    DEMO_STORY,
    RULE_NAME,
    ServiceError,
    SimulatedConfig,
    Story,
    simulated_client,
    simulated_config_client,
)

if TYPE_CHECKING:
    from mypy_boto3_config import ConfigServiceClient
    from mypy_boto3_sts import STSClient

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

    def auditor_config(self) -> ConfigServiceClient:
        return self.config_client(self.region, None)

    def sts_client(self) -> STSClient:
        return cast("STSClient", simulated_client("sts", self, self.region))

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
        return cast("ConfigServiceClient", simulated_config_client(config, region, credentials))
