"""URLconf of the whole-stack benchmark (``tests/benchmarks/test_stack_bench.py``).

One trivial DRF view per authentication variant, identical but for its authentication class, so
the difference in time between two variants is the cost of authenticating a request:

- ``bench/none/``       no authentication at all (the floor);
- ``bench/token/``      DRF ``TokenAuthentication`` (one indexed query, user joined);
- ``bench/jwt/``        ``djangorestframework-simplejwt`` ``JWTAuthentication`` (HS256 decode, one
                        query for the user);
- ``bench/reference/``  :class:`ReferenceSignatureAuthentication` below, a DRF class around the
                        PyPI library ``http-message-signatures`` (RFC 9421 verify, Content-Digest,
                        nonce recorded in Redis with one atomic add);
- ``bench/ours/``       ``signed_api.authentication.SignatureAuthentication``.

Every view parses the JSON body (``request.data``) and answers a small JSON document naming the
user, so a request that did not authenticate cannot pass for one that did. Nothing is written to
the database by the view.
"""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.urls import path
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication

from signed_api.authentication import SignatureAuthentication
from signed_api.conf import signed_api_settings

# -- the reference: a DRF class around http-message-signatures ---------------------------------

#: What every reference signature must cover (the same profile as ours, docs/protocol.md).
REFERENCE_COMPONENTS = ("@method", "@authority", "@path", "@query", "content-digest")


class ReferenceKeys(HTTPSignatureKeyResolver):
    """``keyid -> (secret, user)``, held in memory (filled by the benchmark fixture).

    This is the cheapest key lookup there is (no database, no decryption, and therefore no
    revocation either): the reference's overhead is the library plus the nonce round trip.
    """

    def __init__(self):
        self.entries: dict[str, tuple[bytes, object]] = {}

    def add(self, key_id: str, secret: bytes, user) -> None:
        self.entries[key_id] = (secret, user)

    def clear(self) -> None:
        self.entries.clear()

    def resolve_public_key(self, key_id: str):
        entry = self.entries.get(key_id)
        return None if entry is None else entry[0]

    def resolve_private_key(self, key_id: str):
        return self.entries[key_id][0]

    def user(self, key_id: str):
        return self.entries[key_id][1]


reference_keys = ReferenceKeys()


class _LibraryRequest:
    """The message interface http-message-signatures reads: method, absolute url, headers."""

    __slots__ = ("method", "url", "headers")

    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = headers


class ReferenceSignatureAuthentication(BaseAuthentication):
    """RFC 9421 with ``http-message-signatures`` (hmac-sha256), as a user of it would write it.

    ``HTTPMessageVerifier.verify`` checks the signature, the required coverage and, given the
    body, the ``Content-Digest``; the nonce is then recorded with one ``cache.add`` (SET NX EX
    with django-redis) in the ``nonces`` Redis cache: the same ``NONCE_CACHE`` as ours when our
    store is Redis, so both pay one Redis round trip (it stays on Redis when ours is the table).
    """

    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.HMAC_SHA256, key_resolver=reference_keys
    )

    def authenticate(self, request):
        django_request = request._request
        meta = django_request.META
        if "HTTP_SIGNATURE_INPUT" not in meta and "HTTP_SIGNATURE" not in meta:
            return None
        body = django_request.body
        message = _LibraryRequest(
            django_request.method, django_request.build_absolute_uri(), django_request.headers
        )
        try:
            (result,) = self.verifier.verify(
                message, require_components=REFERENCE_COMPONENTS, body=body
            )
        except (InvalidSignature, HTTPMessageSignaturesException, ValueError) as exc:
            raise exceptions.AuthenticationFailed("invalid signature") from exc
        key_id = result.parameters["keyid"]
        nonce = result.nonce
        if not nonce:
            raise exceptions.AuthenticationFailed("nonce missing")
        cache_key = "reference:nonce:" + hashlib.sha256(f"{key_id}\0{nonce}".encode()).hexdigest()
        cache = caches[signed_api_settings.NONCE_CACHE or "nonces"]
        if not cache.add(cache_key, 1, timeout=2 * int(signed_api_settings.CLOCK_SKEW)):
            raise exceptions.AuthenticationFailed("nonce replayed")
        return reference_keys.user(key_id), key_id

    def authenticate_header(self, request):
        return "Signature"


# -- the views ------------------------------------------------------------------------------------


class _BenchView(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):
        data = request.data
        user = request.user
        return Response(
            {"ok": True, "user": user.pk if user.is_authenticated else None, "fields": len(data)}
        )


class NoAuthView(_BenchView):
    authentication_classes = []
    permission_classes = [AllowAny]


class TokenView(_BenchView):
    authentication_classes = [TokenAuthentication]


class JWTView(_BenchView):
    authentication_classes = [JWTAuthentication]


class ReferenceView(_BenchView):
    authentication_classes = [ReferenceSignatureAuthentication]


class OursView(_BenchView):
    authentication_classes = [SignatureAuthentication]


class OursSignedResponseView(OursView):
    """Ours plus response signing, as ResponseSignatureMiddleware does it (the stack
    runs without that middleware so that the other variants compare authentication only)."""

    def finalize_response(self, request, response, *args, **kwargs):
        from signed_api.response_signing import sign_response

        response = super().finalize_response(request, response, *args, **kwargs)
        response.render()
        sign_response(request._request, response, request._request.signed_api_signature)
        return response


VIEWS = {
    "none": NoAuthView,
    "token": TokenView,
    "jwt": JWTView,
    "reference": ReferenceView,
    "ours": OursView,
    "session": OursView,  # the same class, signed with a session instead of an API key
    "signed": OursSignedResponseView,
}

urlpatterns = [
    path(f"bench/{name}/", view.as_view(), name=f"bench-{name}") for name, view in VIEWS.items()
]
