"""Fixtures shared by the functional tests."""

from __future__ import annotations

import urllib.request

import pytest


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
