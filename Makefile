# ROOT_ACCOUNT_USAGE: the front door. `make` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# checkov pins an old boto3 that conflicts with rdk: it gets a venv of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CHECKOV_VERSION := 3.3.30
RULE := ROOT_ACCOUNT_USAGE
# Every CloudFormation template: template.yaml and rdk_config/*.yaml but the RDK region file.
TEMPLATES := template.yaml $(filter-out rdk_config/regions.yaml,$(sort $(wildcard rdk_config/*.yaml)))
VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' $(RULE)/root_account_usage/__init__.py)
ZIP := dist/root-account-usage-$(VERSION).zip

# make deploy / make publish settings: on the command line only (make deploy REGION=...).
# `:=` here means an exported REGION or STACK_NAME in the environment is ignored, never a
# silent choice of region or stack; `make -e` would let it in, so don't use -e.
AWS := aws
# Empty: where your credentials point (AWS_REGION, AWS_DEFAULT_REGION, then the profile's region).
REGION :=
STACK_NAME := root-account-usage
# One bucket in the stack's region (CODE_BUCKET), or a prefix: <prefix>-<region> per region.
CODE_BUCKET :=
CODE_BUCKET_PREFIX :=
# make publish: the regions whose <CODE_BUCKET_PREFIX>-<region> bucket gets the package.
REGIONS :=
CODE_PREFIX := root-account-usage
THRESHOLD_DAYS := 7
FREQUENCY := TwentyFour_Hours
NOTIFICATION_TOPIC_ARN :=
NOTIFICATION_EMAIL :=
ENABLE_REMEDIATION := false
AUTOMATIC_REMEDIATION := false
CREATE_CONFIG_RULE := true
MEMBER_ROLE_NAME :=
ORGANIZATION_ID :=
# A setting as one single-quoted shell word, exactly as typed: $(value) keeps make from
# expanding a `$` in it, the quotes keep the shell from expanding `$` and backticks.
literal = '$(subst ','\'',$(value $(1)))'
# rdk needs a region even for its offline commands; only they get a default, so that
# make deploy goes where the user's credentials point.
RDK_OFFLINE := AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(BIN)/rdk
# The package's content-addressed S3 key (shell text: run after the zip is built).
CODE_KEY = $(call literal,CODE_PREFIX)/root-account-usage-$(VERSION)-$$(sha256sum $(ZIP) | cut -c1-16).zip

.PHONY: help install demo test test-fast rdk-test lint lint-templates format package publish deploy bench evidence browser clean python-check

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null || { \
	  echo "error: Python 3.12 or newer is needed (rdk 1.0 does not import on older ones);" \
	       "'$(PYTHON)' is $$($(PYTHON) --version 2>&1). Set PYTHON=python3.13 or install it (.python-version says 3.13)." >&2; \
	  exit 1; }

$(STAMP): pyproject.toml | python-check
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the rule, its CLI and the dev tools

demo: $(STAMP) ## Run the real Lambda handler against simulated accounts (the main job)
	$(BIN)/root-account-usage demo

test: $(STAMP) ## Run the tests with branch coverage (>= 90%) and rdk test-local
	$(BIN)/python -m pytest --cov --cov-report=term-missing
	$(MAKE) --no-print-directory rdk-test

test-fast: $(STAMP) ## Run the tests without the slow ones
	$(BIN)/python -m pytest -m 'not slow'

rdk-test: $(STAMP) ## Run the rule's scenario tests under rdk test-local
	$(RDK_OFFLINE) test-local $(RULE)

lint: $(STAMP) lint-templates ## ruff (lint and format check), mypy, cfn-lint and checkov
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

$(CHECKOV_STAMP): | python-check
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	@touch $@

lint-templates: $(STAMP) $(CHECKOV_STAMP) ## cfn-lint (every region) and checkov on every CloudFormation template
	$(BIN)/cfn-lint --regions ALL_REGIONS -- $(TEMPLATES)
	@for template in $(TEMPLATES); do \
	  $(CHECKOV_VENV)/bin/checkov --skip-download --quiet --compact --framework cloudformation -f $$template || exit 1; \
	done

format: $(STAMP) ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

package: $(STAMP) ## Build dist/root-account-usage-<version>.zip for Lambda (reproducible)
	$(BIN)/python tools/package_lambda.py

publish: package ## Upload the package to <CODE_BUCKET_PREFIX>-<region> for each of REGIONS (StackSets)
	@test -n $(call literal,CODE_BUCKET_PREFIX) || { echo "error: set CODE_BUCKET_PREFIX (buckets <prefix>-<region> must exist)" >&2; exit 1; }
	@regions=$(call literal,REGIONS); test -n "$${regions// }" || { echo 'error: set REGIONS, e.g. REGIONS="us-east-1 eu-west-1"' >&2; exit 1; }
	@command -v $(AWS) >/dev/null || { echo "error: make publish needs the AWS CLI ('$(AWS)' not found)" >&2; exit 1; }
	@key=$(CODE_KEY); prefix=$(call literal,CODE_BUCKET_PREFIX); regions=$(call literal,REGIONS); \
	for region in $$regions; do \
	  echo "publish: s3://$$prefix-$$region/$$key" >&2; \
	  $(AWS) s3 cp $(ZIP) "s3://$$prefix-$$region/$$key" --region "$$region" >&2 || exit 1; \
	done; \
	echo "CodeS3Key=$$key"

deploy: package ## Upload the package and deploy template.yaml where your credentials point (CODE_BUCKET=... or CODE_BUCKET_PREFIX=...)
	@test -n $(call literal,CODE_BUCKET)$(call literal,CODE_BUCKET_PREFIX) || { echo "error: set CODE_BUCKET to an S3 bucket in the target region (or CODE_BUCKET_PREFIX for <prefix>-<region>)" >&2; exit 1; }
	@test -z $(call literal,CODE_BUCKET) -o -z $(call literal,CODE_BUCKET_PREFIX) || { echo "error: set CODE_BUCKET or CODE_BUCKET_PREFIX, not both" >&2; exit 1; }
	@command -v $(AWS) >/dev/null || { echo "error: make deploy needs the AWS CLI ('$(AWS)' not found)" >&2; exit 1; }
	@# The region the CLI would pick (CLI v2 order), then passed explicitly to every call.
	@region=$(call literal,REGION); \
	if [ -z "$$region" ]; then region="$${AWS_REGION:-$${AWS_DEFAULT_REGION:-$$($(AWS) configure get region || true)}}"; fi; \
	test -n "$$region" || { echo "error: no AWS region: set REGION=..., AWS_REGION, or a region in your AWS profile" >&2; exit 1; }; \
	account="$$($(AWS) sts get-caller-identity --query Account --output text --region "$$region")" || { echo "error: the AWS CLI has no working credentials (sts get-caller-identity failed)" >&2; exit 1; }; \
	bucket=$(call literal,CODE_BUCKET); test -n "$$bucket" || bucket=$(call literal,CODE_BUCKET_PREFIX)"-$$region"; \
	key=$(CODE_KEY); \
	echo "deploy: stack "$(call literal,STACK_NAME)" to account $$account in region $$region (code s3://$$bucket/$$key)"; \
	set -x; \
	$(AWS) s3 cp $(ZIP) "s3://$$bucket/$$key" --region "$$region" && \
	$(AWS) cloudformation deploy --region "$$region" --template-file template.yaml --stack-name $(call literal,STACK_NAME) \
	  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
	  --parameter-overrides "CodeS3Bucket=$$bucket" CodeS3BucketPerRegion=false "CodeS3Key=$$key" \
	    ThresholdDays=$(call literal,THRESHOLD_DAYS) MaximumExecutionFrequency=$(call literal,FREQUENCY) \
	    NotificationTopicArn=$(call literal,NOTIFICATION_TOPIC_ARN) NotificationEmail=$(call literal,NOTIFICATION_EMAIL) \
	    EnableRemediation=$(call literal,ENABLE_REMEDIATION) AutomaticRemediation=$(call literal,AUTOMATIC_REMEDIATION) \
	    CreateConfigRule=$(call literal,CREATE_CONFIG_RULE) MemberRoleName=$(call literal,MEMBER_ROLE_NAME) \
	    OrganizationId=$(call literal,ORGANIZATION_ID)

evidence: $(STAMP) ## Sample auditor evidence from simulated history: one account, and an organization
	@mkdir -p evidence
	$(BIN)/root-account-usage history --demo --format html --output evidence/root-account-usage-evidence.html
	$(BIN)/root-account-usage history --demo --format json --output evidence/root-account-usage-evidence.json
	$(BIN)/root-account-usage history --demo organization --format html --output evidence/organization-evidence.html
	$(BIN)/root-account-usage history --demo organization --format csv --output evidence/organization-evidence.csv

browser: ## Install Chromium (Debian) for the evidence page's browser test
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

bench: $(STAMP) ## Measure an evaluation, and history and doctor over 5,000 accounts; writes bench/results.json
	$(BIN)/python bench/run_bench.py

clean: ## Remove the virtual environment and caches
	rm -rf evidence $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage dist build *.egg-info
