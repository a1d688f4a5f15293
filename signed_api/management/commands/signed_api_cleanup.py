"""``manage.py signed_api_cleanup``: delete what can never be used again.

Expired or revoked sessions, expired login challenges, remember-me families (with their
tokens) that expired or were revoked, security events older than ``EVENT_RETENTION_DAYS``, and
expired entries of the shared store's table (nonces, counters, state tokens; in batches of
``--batch`` rows, so a large backlog never holds a long lock; Redis expires its own).
Safe to run as often as you like (e.g. hourly from cron).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.utils import timezone

from ...conf import signed_api_settings
from ...models import LoginChallenge, RememberFamily, SecurityEvent, Session
from ...stores import StoreUnavailable, get_store
from ...stores.database import PURGE_BATCH


class Command(BaseCommand):
    help = "Delete expired sessions, challenges, remember-me tokens and old security events."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=PURGE_BATCH,
            help=f"expired store rows deleted per statement (default {PURGE_BATCH})",
        )

    def handle(self, *args, **options):
        batch = options["batch"]
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        now = timezone.now()
        sessions, _ = Session.objects.dead().delete()
        challenges, _ = LoginChallenge.objects.filter(expires_at__lte=now).delete()
        families = RememberFamily.objects.filter(
            Q(expires_at__lte=now) | Q(revoked_at__isnull=False)
        )
        # Families whose sessions still live keep their rows until those sessions end, so a
        # theft found later can still revoke everything the family produced.
        families = families.exclude(sessions__in=Session.objects.live())
        removed_families, detail = families.delete()
        retention = timedelta(days=int(signed_api_settings.EVENT_RETENTION_DAYS))
        events, _ = SecurityEvent.objects.filter(created_at__lt=now - retention).delete()
        entries = 0
        store = get_store()
        try:
            while True:
                purged = store.purge_expired(batch)
                entries += purged
                if purged < batch:
                    break
        except StoreUnavailable as exc:
            raise CommandError(f"the shared store is unavailable: {exc}") from None
        self.stdout.write(
            f"deleted {sessions} session(s), {challenges} challenge(s), "
            f"{detail.get('signed_api.RememberFamily', 0)} remember-me famil(ies) "
            f"with {detail.get('signed_api.RememberToken', 0)} token(s), "
            f"{events} security event(s), {entries} expired store entr(ies)"
        )
