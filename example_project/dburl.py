"""Turn a ``DATABASE_URL`` into a Django ``DATABASES`` entry (no third-party dependency).

Used by ``example_project.settings`` and ``tests.settings``. Understood forms::

    sqlite:///relative/path.sqlite3      relative to the current directory
    sqlite:////absolute/path.sqlite3
    sqlite://  or  sqlite://:memory:     in memory
    postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=require   (also postgresql://, pgsql://)

Query parameters of a PostgreSQL URL become ``OPTIONS`` for the driver.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["parse_database_url"]

POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql"}


def parse_database_url(url: str) -> dict:
    """Return the ``DATABASES["default"]`` dict that ``url`` describes; ValueError if unknown."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # urlsplit("sqlite:///db.sqlite3").path == "/db.sqlite3": drop the one separator slash,
        # so four slashes leave an absolute path.
        name = unquote(parts.netloc + parts.path)
        if name in ("", "/", ":memory:", "/:memory:"):
            name = ":memory:"
        elif name.startswith("/"):
            name = name[1:]
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name}
    if scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError(f"DATABASE_URL names no database: {_redact(url)}")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    raise ValueError(
        f"DATABASE_URL scheme {parts.scheme!r} is not supported (use sqlite:// or postgres://): "
        f"{_redact(url)}"
    )


def _redact(url: str) -> str:
    """``url`` without its password, fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
