"""The example project plus views that show what the gateway hands to the inner request."""

from __future__ import annotations

import json

from django.db import connection
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from example_project.urls import urlpatterns as example_urlpatterns

CLOSED: list[str] = []


@csrf_exempt
def echo(request, rest):
    meta = {k: v for k, v in request.META.items() if isinstance(v, str)}
    body = request.body
    response = JsonResponse({
        "method": request.method,
        "scheme": request.scheme,
        "host": request.get_host(),
        "path": request.path,
        "path_info": request.path_info,
        "query": request.GET.dict(),
        "meta": meta,
        "cookies": request.COOKIES,
        "body": body.decode("latin-1"),
        "connection_usable": connection.connection is not None and connection.is_usable(),
    })
    response.set_cookie("first", "1")
    response.set_cookie("second", "2", httponly=True)
    response["X-Multi"] = "a"
    return response


class _Chunks:
    def __init__(self):
        self.parts = iter([b"one ", b"two ", b"three"])

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.parts)

    def close(self):
        CLOSED.append("stream")


def stream(request):
    return StreamingHttpResponse(_Chunks(), content_type="text/plain")


def boom(request):
    raise RuntimeError("a bug in a view")


def bad_header(request):
    response = HttpResponse("odd")
    response["X-Odd"] = "a\x01b"  # Django lets it through; Binary HTTP refuses it
    return response


def head_or_get(request):
    return HttpResponse(json.dumps({"ok": True}), content_type="application/json")


urlpatterns = [
    path("ohttp-test/echo/<path:rest>", echo),
    path("ohttp-test/stream/", stream),
    path("ohttp-test/boom/", boom),
    path("ohttp-test/head/", head_or_get),
    path("ohttp-test/bad-header/", bad_header),
    *example_urlpatterns,
]
