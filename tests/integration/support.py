"""Helpers of the integration tests (imported by the test modules): the echo URLconf, Redis
database URLs, the text of a log record and what a leaked secret looks like."""

from __future__ import annotations

import base64
import logging
import traceback
from urllib.parse import urlsplit, urlunsplit

ECHO_URLS = "tests.integration.urls"


def redis_url_with_db(url: str, db: int) -> str:
    """``url`` pointing at database number ``db`` of the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write for ``record``: message, arguments, extras, traceback."""
    parts = [record.getMessage(), repr(record.args), repr(vars(record))]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


# -- what a leaked secret looks like -------------------------------------------------------------
def secret_forms(secret: bytes) -> list[str]:
    """The printable spellings of ``secret`` someone could log or store."""
    b64 = base64.b64encode(secret).decode("ascii")
    b64url = base64.urlsafe_b64encode(secret).decode("ascii")
    forms = {
        b64,
        b64.rstrip("="),
        b64url,
        b64url.rstrip("="),
        secret.hex(),
        secret.hex().upper(),
        repr(secret)[2:-1],  # b'...' with escapes, as %r would print it
    }
    return sorted(forms)


def find_secret(data: str | bytes, secret: bytes) -> list[str]:
    """The forms of ``secret`` found in ``data`` (text, or a binary dump)."""
    found = []
    if isinstance(data, bytes):
        if secret in data:
            found.append("raw bytes")
        for form in secret_forms(secret):
            if form.encode("latin-1", "replace") in data:
                found.append(form)
        return found
    return [form for form in secret_forms(secret) if form in data]
