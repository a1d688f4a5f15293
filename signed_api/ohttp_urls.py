"""The Oblivious HTTP gateway at the site root (RFC 9540): mount with
``path("", include("signed_api.ohttp_urls"))``."""

from django.urls import path

from .gateway import gateway

urlpatterns = [
    path(".well-known/ohttp-gateway", gateway, name="signed-api-ohttp-gateway"),
]
