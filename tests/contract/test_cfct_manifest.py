"""cfct/manifest.yaml (Customizations for Control Tower): every template and parameter
file it names exists, each parameter file sets every required parameter of its template
and only parameters the template has, with values the template accepts, and every SSM
value it reads is one an earlier resource exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "cfct" / "manifest.yaml").read_text())
RESOURCES = MANIFEST["resources"]
SSM_READ = re.compile(r"^\$\[alfred_ssm_(/[^\]]+)\]$")


def test_manifest_is_the_2021_schema_of_stack_sets_in_one_home_region():
    assert str(MANIFEST["version"]) == "2021-03-15"
    for resource in RESOURCES:
        assert resource["deploy_method"] == "stack_set", resource["name"]
        assert resource["regions"] == [MANIFEST["region"]], resource["name"]  # IAM is global


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource["name"])
def test_each_parameter_file_fits_its_template(resource):
    template = load_template(str(ROOT / resource["resource_file"]))["Parameters"]
    entries = json.loads((ROOT / resource["parameter_file"]).read_text())
    given = {entry["ParameterKey"]: entry["ParameterValue"] for entry in entries}
    assert len(given) == len(entries), "a parameter given twice"
    assert set(given) <= set(template), set(given) - set(template)
    required = {name for name, spec in template.items() if "Default" not in spec}
    assert required <= set(given), required - set(given)
    for name, value in given.items():
        if SSM_READ.match(value):
            continue
        spec = template[name]
        if "AllowedValues" in spec:
            assert value in [str(v) for v in spec["AllowedValues"]], name
        if "AllowedPattern" in spec:
            assert re.fullmatch(spec["AllowedPattern"], value), name


def test_every_ssm_value_read_is_exported_by_an_earlier_resource():
    exported: set[str] = set()
    for resource in RESOURCES:
        entries = json.loads((ROOT / resource["parameter_file"]).read_text())
        for entry in entries:
            read = SSM_READ.match(entry["ParameterValue"])
            if read:
                assert read[1] in exported, (resource["name"], read[1])
        outputs = load_template(str(ROOT / resource["resource_file"])).get("Outputs", {})
        for export in resource.get("export_outputs", []):
            output = re.fullmatch(r"\$\[output_(\w+)\]", export["value"])
            assert output, export
            assert output[1] in outputs, export
            exported.add(export["name"])
