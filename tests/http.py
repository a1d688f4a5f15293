"""Reading the JSON answers of the API in tests (shared by the test packages)."""

from __future__ import annotations

import json


def body(response) -> dict:
    return json.loads(response.content)


def assert_error(response, code: str, status: int = 401) -> dict:
    """A failure of docs/protocol.md: the status and ``{"detail": <sentence>, "code": code, ...}``;
    a 401 also carries ``WWW-Authenticate: Signature``."""
    assert response.status_code == status, (response.status_code, response.content[:400])
    data = body(response)
    assert data["code"] == code, data
    assert isinstance(data["detail"], str)
    assert data["detail"]
    if status == 401:
        assert response["WWW-Authenticate"] == "Signature"
    return data
