"""``manage.py signed_api_rotatekey KEY_ID [--grace HOURS] [--public-key PEMFILE] [--json]``.

Gives the key a new secret, printed once; the old one keeps verifying for the grace period
(``KEY_ROTATION_GRACE`` by default) so clients can switch without an outage.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from ...core.b64 import b64url_encode
from ...models import ApiKey
from ...services import keys
from ..files import read_key_file


class Command(BaseCommand):
    help = "Rotate an API key: a new secret now, the old one still valid for --grace hours."

    def add_arguments(self, parser):
        parser.add_argument("key_id")
        parser.add_argument("--grace", type=float, metavar="HOURS",
                            help="how long the old secret keeps working (default: setting)")
        parser.add_argument("--public-key", metavar="PEMFILE",
                            help="the new public key of an ed25519/ecdsa key")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            key = ApiKey.objects.get(key_id=options["key_id"])
        except ApiKey.DoesNotExist:
            raise CommandError(f"no key {options['key_id']!r}") from None
        grace = None
        if options["grace"] is not None:
            hours = options["grace"]
            if not math.isfinite(hours):
                raise CommandError("--grace must be a number of hours")
            if hours < 0:
                raise CommandError("--grace cannot be negative")
            most = keys.MAX_ROTATION_GRACE // timedelta(hours=1)
            if hours > most:
                raise CommandError(f"--grace is at most {most} hours")
            grace = timedelta(hours=hours)
        public_key = read_key_file(options["public_key"])
        try:
            secret = keys.rotate_api_key(key, grace=grace, public_key=public_key, via="command")
        except keys.KeyError_ as exc:
            raise CommandError(exc.detail) from None
        key.refresh_from_db()
        encoded = b64url_encode(secret) if secret is not None else None
        until = key.previous_valid_until.isoformat() if key.previous_valid_until else None
        if options["json"]:
            self.stdout.write(json.dumps({
                "key_id": key.key_id, "secret": encoded, "algorithm": key.algorithm,
                "previous_valid_until": until,
            }))
            return
        self.stdout.write(f"key id:                {key.key_id}")
        if encoded is not None:
            self.stdout.write(f"new secret:            {encoded}")
        self.stdout.write(f"old secret valid until {until}")
        if encoded is not None:
            self.stdout.write(
                self.style.WARNING("The secret is shown this once and cannot be shown again.")
            )
