"""``SignedAPIClient``: DRF's ``APIClient`` that signs every request, for your tests.

    from signed_api.test import SignedAPIClient

    key, secret = ApiKey.objects.create_key(user)
    client = SignedAPIClient(key_id=key.key_id, key=secret)
    assert client.post("/api/notes/", {"text": "hi"}, format="json").status_code == 201

It signs exactly what the test client sends (method, host, raw path and query, body with its
``Content-Digest``) with :class:`signed_api.client.SignatureAuth`, so a test exercises the real
verification path. ``client.sign_with(...)`` switches keys; ``sign_with(None)`` stops signing.
"""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes, urlsplit

from rest_framework.test import APIClient

from .client.auth import SignatureAuth
from .request_message import _PATH_SAFE

__all__ = ["SignedAPIClient"]


class SignedAPIClient(APIClient):
    def __init__(self, *args, key_id=None, key=None, algorithm="hmac-sha256", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.signature_auth: SignatureAuth | None = None
        if key_id is not None:
            self.sign_with(key_id, key, algorithm=algorithm)

    def sign_with(self, key_id, key=None, *, algorithm="hmac-sha256", **auth_options):
        """Sign with this key from now on (``None`` to send unsigned requests)."""
        if key_id is None:
            self.signature_auth = None
        else:
            self.signature_auth = SignatureAuth(key_id, key, algorithm=algorithm, **auth_options)
        return self

    def generic(self, method, path, data="", content_type="application/octet-stream",
                secure=False, **extra):
        if self.signature_auth is not None:
            extra.update(self._signature_headers(
                self.signature_auth, method, path, data, content_type, secure, extra
            ))
        return super().generic(method, path, data, content_type, secure=secure, **extra)

    @staticmethod
    def _signature_headers(auth: SignatureAuth, method, path, data, content_type, secure, extra):
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
        parts = urlsplit(str(path))
        # Mirror RequestFactory.generic: an explicit QUERY_STRING wins over the path's query.
        query = extra.get("QUERY_STRING") or parts.query
        raw_path = quote(unquote_to_bytes(parts.path or "/"), safe=_PATH_SAFE)
        host = extra.get("HTTP_HOST") or extra.get("SERVER_NAME") or "testserver"
        scheme = "https" if secure else "http"
        url = f"{scheme}://{host}{raw_path}" + (f"?{query}" if query else "")
        headers = {}
        if body:
            headers["Content-Type"] = content_type
        added = auth.sign(method.upper(), url, headers, body)
        return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in added.items()}
