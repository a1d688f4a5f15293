"""``signed_api.logsafe.escape``: what a request put in a log line cannot start a line, drive a
terminal or reorder what a reader sees; it changes nothing else and is idempotent."""

from __future__ import annotations

import pytest

from signed_api.logsafe import MAX_LENGTH, escape


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("x\x00y\x7f", "x\\x00y\\x7f"),
        ("line\u2028sep\u2029", "line\\u2028sep\\u2029"),
        ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
        ("tab\there", "tab\\there"),
        ("café ünïcode", "café ünïcode"),
        ("C:\\path", "C:\\path"),
    ],
)
def test_escape(raw, escaped):
    assert escape(raw) == escaped
    assert escape(escape(raw)) == escaped


def test_long_values_are_cut():
    assert escape("u" * (MAX_LENGTH + 50)) == "u" * MAX_LENGTH + "…"


def test_non_strings_are_their_str():
    assert escape(ValueError("bad\nvalue")) == "bad\\nvalue"
