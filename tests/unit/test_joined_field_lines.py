"""RFC 9421 §2.1 in the core: a field whose lines a server joined into one value verifies as the
lines were signed, and only as they were (``Message.server_joined_lines``, which the Django
adapter implements for WSGI; the default says the lines are as sent)."""

from __future__ import annotations

import pytest

from signed_api.core import Message, Policy, SignatureError, sign_message, verify_message
from signed_api.core.algorithms import HmacSha256Key
from signed_api.core.message import split_joined_value

NOW = 1_700_000_000
KEY = HmacSha256Key(bytes(range(32)))
URL = "https://api.example.com/p"
COMPONENTS = ["@method", "@path", "x-a", "x-b", "x-c"]


class JoinedByServer(Message):
    """A message as a WSGI server hands it over: every field one value joined with ","."""

    __slots__ = ()

    def server_joined_lines(self, name):
        lines = self.field_lines(name)
        return split_joined_value(lines[0]) if lines and len(lines) == 1 else None


def _signed(lines):
    message = Message.from_url("GET", URL, headers=lines, body=b"")
    sig_input, sig = sign_message(message, KEY, components=COMPONENTS, keyid="k", created=NOW)
    return [("Signature-Input", sig_input), ("Signature", sig)]


def _received(joined: dict[str, str], signature, cls=JoinedByServer):
    return cls(method="GET", scheme="https", authority="api.example.com", path="/p",
               headers=[*joined.items(), *signature], body=b"")


def _verify(message):
    return verify_message(message, lambda kid: KEY, Policy(), now=NOW)


SENT = [("x-a", "1"), ("x-a", "2"), ("x-b", "3"), ("x-b", "4"), ("x-c", "5, 6")]


def test_every_combination_of_joined_fields_verifies():
    signature = _signed(SENT)
    _verify(_received({"x-a": "1,2", "x-b": "3,4", "x-c": "5, 6"}, signature))
    _verify(_received({"x-a": "1, 2", "x-b": "3,4", "x-c": "5, 6"}, signature))
    _verify(_received({"x-a": "1,2", "x-b": "3, 4", "x-c": "5,6"}, signature))


@pytest.mark.parametrize("changed", [{"x-a": "1,3"}, {"x-b": "34"}, {"x-c": "5,,6"}])
def test_a_changed_value_is_refused(changed):
    joined = {"x-a": "1,2", "x-b": "3,4", "x-c": "5, 6", **changed}
    with pytest.raises(SignatureError) as excinfo:
        _verify(_received(joined, _signed(SENT)))
    assert excinfo.value.code == "signature_invalid"


def test_a_message_whose_lines_are_as_sent_is_not_re_split():
    """The default ``Message`` (the client, ASGI's raw lines) reads lines exactly."""
    with pytest.raises(SignatureError):
        _verify(_received({"x-a": "1,2", "x-b": "3,4", "x-c": "5, 6"}, _signed(SENT), Message))


def test_split_joined_value():
    assert split_joined_value("a, b ,c") == ["a", "b", "c"]
    assert split_joined_value("abc") is None
