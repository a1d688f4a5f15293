"""``manage.py signed_api_createkey --user USERNAME [...]``: create an API key.

The hmac secret is printed once (base64url, no padding) and stored only encrypted; for
client-held keys (ed25519, ecdsa-p256-sha256) give the public key with ``--public-key``.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...core import algorithms
from ...core.b64 import b64url_encode
from ...services import keys
from ..files import read_key_file


class Command(BaseCommand):
    help = "Create an API key for a user and print its id (and, for hmac, its secret, once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the owner's username")
        parser.add_argument(
            "--algorithm",
            default=algorithms.HMAC_SHA256,
            choices=algorithms.names(api_keys=True),
        )
        parser.add_argument("--public-key", metavar="PEMFILE", help="the client's public key")
        parser.add_argument("--name", default="", help="a label for the key")
        parser.add_argument("--expires-in", type=int, metavar="DAYS", help="lifetime in days")
        parser.add_argument("--scopes", default=None, metavar="SCOPES",
                            help="space or comma separated, e.g. 'notes:read notes:write'")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(options["user"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['user']!r}") from None
        public_key = read_key_file(options["public_key"])
        expires_at = None
        if options["expires_in"] is not None:
            if not 0 < options["expires_in"] <= keys.MAX_LIFETIME_DAYS:
                raise CommandError(
                    f"--expires-in must be a number of days from 1 to {keys.MAX_LIFETIME_DAYS}"
                )
            expires_at = timezone.now() + timedelta(days=options["expires_in"])
        try:
            key, secret = keys.create_api_key(
                user,
                name=options["name"],
                algorithm=options["algorithm"],
                public_key=public_key,
                expires_at=expires_at,
                scopes=options["scopes"],
                via="command",
            )
        except keys.KeyError_ as exc:
            raise CommandError(exc.detail) from None
        encoded = b64url_encode(secret) if secret is not None else None
        if options["json"]:
            self.stdout.write(
                # Exactly docs/django.md's shape.
                json.dumps({"key_id": key.key_id, "secret": encoded, "algorithm": key.algorithm})
            )
            return
        self.stdout.write(f"key id:    {key.key_id}")
        self.stdout.write(f"algorithm: {key.algorithm}")
        if key.scopes:
            self.stdout.write(f"scopes:    {' '.join(key.scopes)}")
        if encoded is not None:
            self.stdout.write(f"secret:    {encoded}")
            self.stdout.write(
                self.style.WARNING("The secret is shown this once and cannot be shown again.")
            )
