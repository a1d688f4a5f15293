"""``manage.py signed_api_createenrollment --uses N [--expires-in DAYS] [--name NAME] [--json]``.

An enrollment key signs only ``POST enroll/``; hand it to a small group in person. Its secret
is printed once.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ...core.b64 import b64url_encode
from ...services import keys


class Command(BaseCommand):
    help = "Create an enrollment key (it can only enrol devices) and print its secret once."

    def add_arguments(self, parser):
        parser.add_argument("--uses", type=int, required=True, help="how many enrolments")
        parser.add_argument("--expires-in", type=int, metavar="DAYS", default=7,
                            help="lifetime in days (default 7)")
        parser.add_argument("--name", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        if not 0 < options["expires_in"] <= keys.MAX_LIFETIME_DAYS:
            raise CommandError(
                f"--expires-in must be a number of days from 1 to {keys.MAX_LIFETIME_DAYS}"
            )
        try:
            enrollment, secret = keys.create_enrollment_key(
                name=options["name"],
                uses=options["uses"],
                expires_at=timezone.now() + timedelta(days=options["expires_in"]),
                via="command",
            )
        except keys.KeyError_ as exc:
            raise CommandError(exc.detail) from None
        encoded = b64url_encode(secret)
        if options["json"]:
            self.stdout.write(json.dumps({
                "key_id": enrollment.key_id, "secret": encoded, "uses": enrollment.uses_left,
                "expires_at": enrollment.expires_at.isoformat(),
            }))
            return
        self.stdout.write(f"enrollment key id: {enrollment.key_id}")
        self.stdout.write(f"secret:            {encoded}")
        self.stdout.write(f"uses:              {enrollment.uses_left}")
        self.stdout.write(f"expires:           {enrollment.expires_at.isoformat()}")
        self.stdout.write(
            self.style.WARNING("The secret is shown this once and cannot be shown again.")
        )
