"""moto's CloudFormation gaps that the deployment tests fill (never product code).

moto 5 creates no AWS::Config::ConfigRule from a template, although its Config backend
holds rules: `ConfigRuleResource` creates the rule there, so a deployed stack's rule can
be read back (its InputParameters become the invoking event's ruleParameters) and
`Fn::GetAtt ConfigRule.Arn` resolves. Registered on import.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation import parsing
from moto.config.models import config_backends
from moto.core.common_models import CloudFormationModel


class ConfigRuleResource(CloudFormationModel):  # type: ignore[misc]
    """AWS::Config::ConfigRule, created in moto's Config backend."""

    def __init__(self, account_id: str, region: str, name: str) -> None:
        self.account_id = account_id
        self.region = region
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Config::ConfigRule"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ConfigRuleName"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ConfigRuleResource:
        properties = _without_no_value(cloudformation_json["Properties"])
        properties.setdefault("ConfigRuleName", resource_name)
        if isinstance(properties.get("InputParameters"), dict):
            # CloudFormation takes a map; the Config API a JSON string.
            properties["InputParameters"] = json.dumps(properties["InputParameters"])
        config_backends[account_id][region_name].put_config_rule(properties)
        return cls(account_id, region_name, properties["ConfigRuleName"])

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        rule = config_backends[self.account_id][self.region].config_rules[self.name]
        return str(rule.config_rule_arn)

    def delete(self, account_id: str, region_name: str) -> None:
        config_backends[account_id][region_name].delete_config_rule(self.name)


def _without_no_value(value: Any) -> Any:
    """Drop what AWS::NoValue left (moto resolves it to None; CloudFormation removes it)."""
    if isinstance(value, dict):
        return {k: _without_no_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_no_value(item) for item in value if item is not None]
    return value


parsing.get_model_map.cache_clear()
parsing.get_name_type_map.cache_clear()
