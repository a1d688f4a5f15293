"""Log lines that a request cannot forge.

A username, a path or a key id comes from the client; written to a log as it is, a CR/LF in it
starts a line of the attacker's choosing and an ANSI escape rewrites a terminal. Every logger
of signed_api carries :class:`EscapingFilter`, which escapes each argument of a record (and
the message of a record that has none) with :func:`escape`. Modules take their logger from
:func:`get_logger`; ``logging.getLogger("signed_api")`` returns the same, filtered object.
"""

from __future__ import annotations

import logging
import numbers

__all__ = ["EscapingFilter", "escape", "get_logger", "MAX_LENGTH"]

#: Longer values are cut (a 1 MB username must not become a 1 MB log line).
MAX_LENGTH = 300

# C0 and C1 controls, DEL, the Unicode line and paragraph separators.
_UNSAFE = dict.fromkeys(range(32)) | {0x7F: None, 0x2028: None, 0x2029: None}
_UNSAFE.update(dict.fromkeys(range(128, 160)))
# Bidirectional overrides and isolates: they reorder what a reader sees.
_UNSAFE.update(dict.fromkeys((*range(8234, 8239), *range(8294, 8298))))
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object, max_length: int = MAX_LENGTH) -> str:
    """``value`` as text with no control character left: ``\\n``, ``\\r``, ``\\x1b``...

    Idempotent on its own output (an escape is printable), so escaping twice does no harm.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) > max_length:
        text = text[:max_length] + "…"
    if text.isprintable():
        return text
    return "".join(_escape_char(c) if ord(c) in _UNSAFE else c for c in text)


class EscapingFilter(logging.Filter):
    """Escapes the arguments of every record (numbers stay numbers, for ``%d`` and ``%.2f``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(_safe_arg(a) for a in args)
        elif isinstance(args, dict) and args:
            record.args = {k: _safe_arg(v) for k, v in args.items()}
        elif not args and isinstance(record.msg, str):
            record.msg = escape(record.msg, max_length=10 * MAX_LENGTH)
        return True


def _safe_arg(arg: object) -> object:
    if arg is None or isinstance(arg, numbers.Number):
        return arg
    return escape(arg)


_FILTER = EscapingFilter()


def get_logger(name: str = "signed_api") -> logging.Logger:
    """The logger ``name`` with :class:`EscapingFilter` attached (once)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


# The loggers signed_api writes to, filtered as soon as any part of the app is imported.
for _name in ("signed_api", "signed_api.audit"):
    get_logger(_name)
