"""The example project's ``SECRET_KEY`` when ``DJANGO_SECRET_KEY`` is not set: random, made once
per checkout and kept in ``var/secret_key`` (git-ignored, mode 0600).

It used to be a constant written in the settings, so every checkout running ``make demo`` had the
same key, and with it (signed_api derives them from ``SECRET_KEY`` when ``MASTER_KEYS`` is empty)
the same server signing key, Oblivious HTTP gateway key and key of the secrets at rest: anyone
could forge the "server-signed" answers of any demo, or read its encrypted traffic. Every process
of one checkout (gunicorn's workers, ``manage.py``) reads the same file; the first to need it
writes it whole, then links it into place, so no process ever reads half a key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def local_secret_key(path: Path) -> str:
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:  # mkstemp makes it 0600
            file.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):  # another process was first: keep its key
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_text(encoding="ascii").strip()
