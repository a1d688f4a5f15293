"""Fixtures of the gateway tests: every test starts with no gateway key cached in the process
(a rolled-back ``OHTTPKey`` row sends no post_delete)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_cached_gateway_keys():
    from signed_api import ohttp_keys

    ohttp_keys.reset()
    yield
    ohttp_keys.reset()
