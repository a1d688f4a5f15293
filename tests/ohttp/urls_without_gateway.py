"""A URLconf without the gateway (the W013 check and the middleware then stand aside)."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("ping/", lambda request: HttpResponse("pong"))]
