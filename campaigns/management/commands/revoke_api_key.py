from django.core.management.base import BaseCommand, CommandError

from campaigns.api.auth import KEY_PREFIX, api_keys_matching, api_keys_revoke

MIN_PREFIX = len(KEY_PREFIX) + 4


class Command(BaseCommand):
    help = "Revoke an API key at once, named by its prefix (as the admin and create_api_key show it) or whole."

    def add_arguments(self, parser):
        parser.add_argument(
            "prefix", help=f"the key's prefix (at least {MIN_PREFIX} characters, e.g. sk_AbCd) or the whole key"
        )

    def handle(self, *args, prefix, **options):
        prefix = prefix.strip()
        if len(prefix) < MIN_PREFIX:
            raise CommandError(f"Give at least {MIN_PREFIX} characters of the key's prefix, got {prefix!r}.")
        keys = list(api_keys_matching(prefix).select_related("shop").order_by("id"))
        active = [key for key in keys if key.revoked_at is None]
        if not keys:
            raise CommandError(f"No API key has the prefix {prefix!r}.")
        if len(active) > 1:
            shown = ", ".join(f"{key.prefix} ({key.shop.domain})" for key in active)
            raise CommandError(f"The prefix {prefix!r} is ambiguous: it matches {len(active)} active keys ({shown}). "
                               "Give more of it.")
        if not active:
            self.stdout.write(f"The key {keys[0].prefix} of {keys[0].shop.domain} was revoked already "
                              f"({keys[0].revoked_at:%Y-%m-%d %H:%M} UTC).")
            return
        key = active[0]
        api_keys_revoke(key_ids=[key.id])
        self.stdout.write(f"Revoked the key {key.prefix} of {key.shop.domain}: it is refused from now on.")
