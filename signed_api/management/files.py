"""Small helpers shared by the management commands."""

from __future__ import annotations

from django.core.management.base import CommandError


def read_key_file(path: str | None) -> bytes | None:
    """The bytes of a PEM file named on the command line (``None`` when none was given)."""
    if not path:
        return None
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
