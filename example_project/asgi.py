"""ASGI entry point: ``uvicorn example_project.asgi:application`` or any ASGI server.

``signed_api.asgi.get_asgi_application`` is Django's with the request body limit WSGI has: a
``Content-Length`` over the upload limit is refused without the body being read (Django's own
ASGI handler reads every body to the end, to disk past a few megabytes, before refusing it)."""

import os

from signed_api.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

application = get_asgi_application()
