"""The demo page: one template, its static script, and a strict Content-Security-Policy."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

# Scripts and styles only from this origin (the bundle, the page's script and style sheet), no
# inline script, no eval; the QR code of a TOTP enrolment is an SVG shown as a data: image, which
# cannot run script. connect-src 'self': the API and the Oblivious HTTP gateway are this origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)


@require_GET
def demo_page(request):
    """The page. Its configuration (the API's paths) goes to the script in data attributes.

    With ``DEBUG`` on (``make demo``), it says which user to log in as; never in production.
    """
    sessions = reverse("signed_api:sessions")
    context = {
        "auth_url": sessions[: -len("sessions/")],
        "notes_url": reverse("note-list"),
        "jwks_url": reverse("signed-api-jwks"),
        "gateway_url": reverse("signed-api-ohttp-gateway"),
        "show_hint": settings.DEBUG,
    }
    response = render(request, "demo/index.html", context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response
