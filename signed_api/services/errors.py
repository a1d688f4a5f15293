"""The one error type of the services: what they refuse, with a stable code.

Services (login, second factor, remember-me, keys) raise :class:`ServiceError`; the views and the
admin turn it into an answer. ``code`` is the stable code of the error body
(docs/protocol.md), ``detail`` a sentence for people, and ``extra`` what the answer carries
besides (``http_status``, ``wait`` for ``Retry-After``, ``attempts_remaining``...).
"""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, code: str, detail: str, **extra):
        self.code = code
        self.detail = detail
        self.extra = extra
        super().__init__(detail)
