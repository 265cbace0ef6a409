"""Shared fixtures."""

from __future__ import annotations

import pytest

from tests.streams import TLSContexts, make_tls_contexts


@pytest.fixture(scope="session")
def tls_contexts() -> TLSContexts:
    """Throw-away CAs (trustme): server/client SSL contexts, and an untrusted pair."""
    return make_tls_contexts()


@pytest.fixture(autouse=True)
def _no_proxy_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy may divert loopback traffic; no API key leaks in from the environment."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                 "https_proxy", "all_proxy", "no_proxy", "SSEPROTO_API_KEY",
                 "PREDICTIONGUARD_API_KEY"):
        monkeypatch.delenv(name, raising=False)
