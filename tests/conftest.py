"""Shared test setup: offline AWS credentials and a reproducible Hypothesis profile."""

from __future__ import annotations

import logging
import os
import urllib.request

import pytest
from hypothesis import settings

from root_account_usage.rule.clients import _CLIENTS
from root_account_usage.simulation.credential_report import config_without_history
from tests import call_recorder
from tests.log_hygiene import leaks

# CI runs the same examples every time; locally Hypothesis explores.
settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch):
    """No test may reach AWS: fake credentials, a fixed region, no profile."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture(autouse=True)
def fresh_sdk_clients():
    """The handler reuses SDK clients across invocations; tests change endpoints."""
    _CLIENTS.clear()
    yield
    _CLIENTS.clear()


@pytest.fixture(autouse=True)
def no_last_evaluation_in_moto():
    """moto's Config answers GetComplianceDetailsByConfigRule as for a new rule."""
    with config_without_history():
        yield


@pytest.fixture(autouse=True)
def record_product_calls(monkeypatch):
    """Every AWS call the product makes, in any test, feeds the least-privilege check."""
    call_recorder.install(monkeypatch)


@pytest.fixture(autouse=True)
def product_logs_stay_clean(request, caplog, monkeypatch):
    """In the handler, lifecycle and fault tests: every product log line, at every
    level, is free of other users, access keys and report lines."""
    if not {"functional", "faults", "security"} & set(request.node.path.parts):
        yield
        return
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    caplog.set_level(logging.DEBUG)
    yield
    assert leaks(caplog.records) == []


def reset_moto_state(endpoint: str) -> None:
    # The server shares moto's in-process state: start and end every test clean.
    url = f"{endpoint}/moto-api/reset"  # always http://127.0.0.1:<port>
    request = urllib.request.Request(url, method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


@pytest.fixture
def moto_server():
    """A real HTTP endpoint (moto's ThreadedMotoServer on loopback); yields its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    reset_moto_state(endpoint)
    try:
        yield endpoint
    finally:
        reset_moto_state(endpoint)
        server.stop()
