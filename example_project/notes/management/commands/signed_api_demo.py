"""``manage.py signed_api_demo``: the demo user and a fresh demo key, with a command to try.

Idempotent: the user ``demo`` is created once; each run revokes the previous demo key and makes
a new one, because a secret is shown only once and never stored in plaintext, so the old one
cannot be printed again.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from signed_api.client import encode_secret
from signed_api.models import ApiKey
from signed_api.services import keys

DEMO_USER = "demo"
DEMO_KEY_NAME = "demo key"


class Command(BaseCommand):
    help = "Create the demo user and a new demo API key, and print how to make a signed request."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=DEMO_USER)
        if user.is_staff or user.is_superuser:
            # Its key would carry an admin's identity, printed in a terminal: not a demo's.
            raise CommandError(
                f"the user {DEMO_USER!r} is a staff user or a superuser; the demo makes keys "
                "only for an ordinary user"
            )
        password_note = ""
        if created:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save()
            password_note = f"  (password, shown once: {password})"
        # Through the services, as the admin and the commands: each step its audit event.
        for old in ApiKey.objects.filter(user=user, name=DEMO_KEY_NAME, revoked_at__isnull=True):
            keys.revoke_api_key(old, via="command")
        key, secret = keys.create_api_key(
            user, name=DEMO_KEY_NAME, scopes=["notes:read", "notes:write"], via="command"
        )
        assert secret is not None  # an hmac key
        base = options["base_url"].rstrip("/")
        # The password is printed only by the run that creates the user: a later run says where
        # it was shown and how to set a new one, not "above".
        password_hint = (
            "the password above."
            if created
            else "its password. It was shown once, when the user was created; to set a new "
            f"one, run\n  .venv/bin/python manage.py changepassword {DEMO_USER}"
        )
        self.stdout.write(
            f"""
Demo user: {DEMO_USER}{password_note}
Demo key:  {key.key_id} (hmac-sha256; the secret below is shown this once)

In another terminal, make a signed request:

  export SIGNED_API_KEY_ID={key.key_id}
  export SIGNED_API_SECRET={encode_secret(secret)}
  .venv/bin/python -m signed_api.client POST {base}/api/notes/ --json '{{"text": "hello"}}'
  .venv/bin/python -m signed_api.client GET {base}/api/notes/

and see a replayed request refused (the same signed request sent twice: 401 nonce_replayed):

  .venv/bin/python -m signed_api.client GET {base}/api/notes/ --replay

In a browser, the JavaScript client: open {base}/demo/ and log in as {DEMO_USER} with
{password_hint}
"Set up a TOTP authenticator" on the page enrols a second factor: scan its QR code with
an authenticator app, or take the secret= of the URI it shows and run
  .venv/bin/python -c 'import pyotp; print(pyotp.TOTP("SECRET").now())'
for a code. The next login asks for one: the app's next code (each works once, and enrolling
used the current one).
"""
        )
