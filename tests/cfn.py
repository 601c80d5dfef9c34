"""Load CloudFormation YAML (with its short-form !Tags) as plain data for tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(relative: str) -> dict[str, Any]:
    return yaml.load((ROOT / relative).read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


def policy_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    """Every statement of a role's inline policies; a Fn::If yields both branches' dicts."""
    statements = []
    for policy in role["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if "Fn::If" in statement:
                _, when_true, _ = statement["Fn::If"]
                statements.append(when_true | {"_condition": statement["Fn::If"][0]})
            else:
                statements.append(statement)
    return statements


def actions_of(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def event_pattern(relative: str, resource: str, account: str) -> str:
    """A resource's EventPattern as JSON, with AWS::AccountId resolved to `account`."""
    pattern = load_template(relative)["Resources"][resource]["Properties"]["EventPattern"]
    return json.dumps(pattern).replace('{"Ref": "AWS::AccountId"}', json.dumps(account))
