"""The domain's tables: shops (tenants) and their keys, contacts, campaigns, recipients, batches, credits."""

from datetime import time

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class Shop(models.Model):
    """A merchant (tenant). `credits` are free to spend; `credits_held` are reserved by enqueued campaigns."""

    domain = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=255, blank=True)
    sender = models.CharField(max_length=16, blank=True)
    traffic_account_id = models.CharField(max_length=64, blank=True)
    credits = models.BigIntegerField(default=0)
    credits_held = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    default_region = models.CharField(max_length=2, default="US")
    quiet_hours_start = models.TimeField(default=time(8, 0))
    quiet_hours_end = models.TimeField(default=time(21, 0))
    frequency_cap_hours = models.PositiveIntegerField(null=True, blank=True)
    help_text = models.CharField(max_length=320, blank=True)
    stop_confirmation_text = models.CharField(
        max_length=160, blank=True, default="", db_default="",
        help_text="The one SMS answering an opt-out; blank: a default naming the shop and how to come back (START).",
    )
    opt_out_text = models.CharField(max_length=100, blank=True)
    append_opt_out = models.BooleanField(default=False)
    timezone = models.CharField(max_length=64, default="UTC",
                                help_text="The shop's time zone (IANA name, e.g. America/New_York): the console "
                                          "shows and takes times in it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(credits__gte=0), name="shop_credits_not_negative"),
            models.CheckConstraint(condition=Q(credits_held__gte=0), name="shop_credits_held_not_negative"),
        ]

    def __str__(self):
        return self.domain


class ShopSender(models.Model):
    """A sender id a shop may send from, registered by ops once they verified the shop owns it (`shop_sender`).
    Replies to a sender concern only the shops that registered it. One shop per sender unless ops register
    it to several explicitly (`--shared`); such a sender follows the shared fallback sender's rules."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="senders")
    sender = models.CharField(max_length=16, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "sender"], name="shop_sender_unique")]

    def __str__(self):
        return f"{self.sender} ({self.shop})"


class ApiKey(models.Model):
    """A bearer key of one shop, stored as a SHA-256 hash; `prefix` lets people tell keys apart."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.prefix}… ({self.shop})"


class Contact(models.Model):
    """A shop's customer. Messaged only while `sms_consent` is true and `opted_out_at` is empty."""

    # No index of its own: the unique (shop, phone) index leads with the shop. A lone one cost every insert a
    # third index, and the planner, misjudging a growing shop, probed it (all the shop's rows) for one phone.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="contacts", db_index=False)
    phone = models.CharField(max_length=20)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    tags = models.JSONField(default=list, blank=True)
    sms_consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=32, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    # The last opt-out by a reply (STOP) and the sender it was sent to: only a START, or a consent record of
    # the consumer's dated after it, gives consent back (services/contacts/consent.py). A database default, so
    # set-based INSERTs that name only the older columns (bench, tests) keep working.
    reply_opted_out_at = models.DateTimeField(null=True, blank=True)
    reply_opted_out_sender = models.CharField(max_length=20, blank=True, default="", db_default="")
    timezone = models.CharField(max_length=64, blank=True)
    # Database defaults too: a first Shopify sync's COPY of new contacts leaves them to PostgreSQL (the start of
    # its chunk's transaction) rather than have it parse the same time twice a row (customers_new.py).
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    # The Shopify customer this contact was synced from, and the newest states of it we applied (an older
    # delivery never overwrites them: services/shopify_sync/customers.py). Database defaults, so set-based
    # INSERTs that name only the older columns keep working.
    shopify_customer_id = models.BigIntegerField(null=True, blank=True)
    shopify_updated_at = models.DateTimeField(null=True, blank=True)
    shopify_consent_state = models.CharField(max_length=16, blank=True, default="", db_default="")
    shopify_consent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "phone"], name="contact_unique_shop_phone")]
        indexes = [models.Index(fields=["shop", "shopify_customer_id"], name="contact_shopify_customer",
                                condition=models.Q(shopify_customer_id__isnull=False))]

    def __str__(self):
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} ({self.phone})" if name else self.phone


class ConsentEvent(models.Model):
    """Append-only history of consent given or withdrawn: who, what, when and how."""

    class Action(models.TextChoices):
        GRANTED = "granted"
        WITHDRAWN = "withdrawn"

    # Read by shop and phone (a contact's history, an export, an erasure) and by shop (its deletion): one index
    # (shop, phone) serves both, so each event written (a first Shopify sync writes hundreds of thousands) updates
    # three indexes, not five. No database constraints: each checked its row once at commit (0.3 s of every
    # 45,000-contact chunk of a first sync, measured), and events are only written beside their contact's own
    # write, in its transaction. Deleting a shop or a contact still deletes or unlinks its events (Django's
    # collector); nothing reads an event through `contact`, the history is read by shop and phone.
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="consent_events", db_index=False,
                             db_constraint=False)
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, related_name="consent_events",
                                db_constraint=False)
    phone = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=Action.choices)
    source = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "phone"], name="consentevent_shop_phone")]

    def __str__(self):
        return f"Consent {self.action} for {self.phone} ({self.source})"


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        SCHEDULED = "scheduled"
        SENDING = "sending"
        PAUSED = "paused"
        COMPLETED = "completed"
        CANCELLED = "cancelled"
        FAILED = "failed"

    class PausedReason(models.TextChoices):
        MERCHANT = "merchant"
        SHOP_INACTIVE = "shop_inactive"

    EDITABLE = (Status.DRAFT, Status.SCHEDULED)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    body = models.TextField()
    sender = models.CharField(max_length=16, blank=True)
    # The sender its messages go out from, fixed at enqueue (`sender`, else the shop's, else the fallback): a
    # default changed later neither switches a running campaign's sender nor reroutes replies to what it sent.
    sent_from = models.CharField(max_length=16, blank=True, default="", db_default="")
    audience = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Why a `paused` campaign is paused (empty otherwise): the merchant paused it, or its shop was suspended.
    paused_reason = models.CharField(max_length=16, choices=PausedReason.choices, blank=True, default="")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    encoding = models.CharField(max_length=8, default="GSM-7")
    segments = models.PositiveSmallIntegerField(default=1)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "scheduled_at"], name="campaign_status_sched")]

    def __str__(self):
        return self.name


class CampaignRecipient(models.Model):
    """One number messaged once by one campaign. Written set-based, never one `save()` at a time.

    The contact link has no database constraint: contacts may be deleted while the recipient row (the
    record of what was sent) stays, and a per-row foreign-key check would slow million-row enqueues.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        DELIVERED = "delivered"
        FAILED = "failed"
        CANCELLED = "cancelled"

    # No database constraint: its check runs once per inserted row at commit (4.5 s of a million-recipient
    # enqueue, measured), and recipients are only ever inserted set-based by enqueue while it holds the campaign's
    # row lock, so the campaign exists. Deleting a campaign still deletes its recipients (Django's cascade).
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="recipients", db_index=False, db_constraint=False
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.DO_NOTHING, null=True, db_constraint=False, related_name="+"
    )
    phone = models.CharField(max_length=20)
    batch_no = models.IntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    mitto_message_id = models.CharField(max_length=64, null=True, blank=True)
    retry_count = models.SmallIntegerField(default=0)
    error = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Quiet hours: a held recipient is queued in no batch (batch_no HELD_BATCH_NO) until this time.
    held_until = models.DateTimeField(null=True, blank=True)
    # The parts (and so the credits) of this recipient's own rendered text: computed at enqueue, adjusted
    # before sending if the contact's names changed since (campaigns.services.billing.pricing). The database
    # default serves raw INSERTs that do not price (fixtures, older writers).
    segments = models.PositiveSmallIntegerField(default=1, db_default=1)
    # The first human click on one of the message's short links (bot clicks never set it).
    clicked_at = models.DateTimeField(null=True, blank=True)

    HELD_BATCH_NO = -1

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "phone"], name="recipient_unique_campaign_phone")
        ]
        indexes = [
            models.Index(fields=["campaign", "batch_no"], name="recipient_campaign_batch"),
            models.Index(fields=["held_until"], name="recipient_held_until", condition=Q(held_until__isnull=False)),
            # The recipients list pages by id within a campaign; without it page 1 scans every older row.
            models.Index(fields=["campaign", "id"], name="recipient_campaign_id"),
            models.Index(
                fields=["mitto_message_id"],
                name="recipient_message_id",
                condition=Q(mitto_message_id__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.phone} in “{self.campaign}”: {self.get_status_display().lower()}"


class Batch(models.Model):
    """One bulk request to Mitto. Its status is what makes a retry or a redelivered task safe.

    `unknown` means the request went out and no answer came: it is never sent again, and is resolved
    from delivery reports (by reference) or left for review.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        SUBMITTING = "submitting"
        SUBMITTED = "submitted"
        UNKNOWN = "unknown"
        FAILED = "failed"
        CANCELLED = "cancelled"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    number = models.IntegerField()
    size = models.IntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.SmallIntegerField(default=0)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    provider_bulk_id = models.CharField(max_length=64, blank=True)
    accepted = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="batch_unique_campaign_number")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="batch_status_next_attempt")]

    def __str__(self):
        return f"Part {self.number} of “{self.campaign}” ({self.size} messages, {self.get_status_display().lower()})"


class CreditTransaction(models.Model):
    """The credit ledger. `delta` moves free credits, `held_delta` moves held ones; the shop's two balances
    always equal the sums of these columns.

    topup: (+n, 0); hold: (-n, +n); release: (+n, -n); debit of held credits: (0, -n); direct debit: (-n, 0);
    refund of a message the provider accepted and then reported failed: (+n, 0); purchase of a credit pack
    bought in Shopify: (+n, 0), referencing its CreditPurchase (at most one row per purchase).
    """

    class Kind(models.TextChoices):
        TOPUP = "topup"
        HOLD = "hold"
        RELEASE = "release"
        DEBIT = "debit"
        REFUND = "refund"
        PURCHASE = "purchase"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="credit_transactions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delta = models.BigIntegerField(default=0)
    held_delta = models.BigIntegerField(default=0)
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    purchase = models.ForeignKey(
        "CreditPurchase", on_delete=models.RESTRICT, null=True, blank=True, related_name="credit_transactions"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "created_at"], name="credit_shop_created")]
        constraints = [
            models.UniqueConstraint(fields=["purchase"], condition=Q(purchase__isnull=False),
                                    name="credit_once_per_purchase"),
        ]

    def __str__(self):
        moved = self.delta or -self.held_delta
        purpose = f" for “{self.campaign}”" if self.campaign_id else ""
        return f"{self.get_kind_display()} of {abs(moved)} credits{purpose}"


class CreditPurchase(models.Model):
    """A credit pack bought inside Shopify (an `appPurchaseOneTime`). Created `pending` together with Shopify's
    purchase; becomes `active` (and is credited, once) only when the Admin API reads it ACTIVE, or `declined` /
    `expired` with nothing credited."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        DECLINED = "declined"
        EXPIRED = "expired"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="credit_purchases")
    credits = models.BigIntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    test = models.BooleanField(default=False)
    shopify_id = models.CharField(max_length=100, null=True, blank=True)
    confirmation_url = models.URLField(max_length=2000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "-id"], name="purchase_shop_newest")]
        constraints = [models.UniqueConstraint(fields=["shop", "shopify_id"], name="purchase_unique_shop_shopify_id")]

    def __str__(self):
        return f"{self.credits} credits ({self.status})"


class ShopMembership(models.Model):
    """Makes a staff user a merchant of one shop: the admin shows and changes only that shop's rows."""

    user = models.OneToOneField("auth.User", on_delete=models.CASCADE, related_name="shop_membership")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} @ {self.shop}"


class ShopifyInstall(models.Model):
    """A shop installed from Shopify: its offline token (Fernet-encrypted, see shopify.tokens), and the state and
    progress of its customer sync. Tokens are "" once the app is uninstalled."""

    class SyncState(models.TextChoices):
        IDLE = "idle"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="shopify_install")
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.CharField(max_length=500, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    uninstalled_at = models.DateTimeField(null=True, blank=True)
    suspended_by_uninstall = models.BooleanField(default=False)
    webhooks_registered_at = models.DateTimeField(null=True, blank=True)
    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.IDLE)
    sync_cursor = models.CharField(max_length=500, blank=True)
    sync_started_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.CharField(max_length=500, blank=True)
    customers_seen = models.BigIntegerField(default=0)
    contacts_created = models.BigIntegerField(default=0)
    contacts_updated = models.BigIntegerField(default=0)
    skipped_no_phone = models.BigIntegerField(default=0)
    # Where a killed sync resumes: `bulk` reads the export at `sync_bulk_url` from line `sync_offset`; `paged`
    # asks for the page after `sync_cursor`.
    sync_mode = models.CharField(max_length=8, blank=True, default="", db_default="")
    sync_bulk_url = models.TextField(blank=True, default="", db_default="")
    sync_offset = models.BigIntegerField(default=0, db_default=0)

    def __str__(self):
        return f"Shopify install of {self.shop}"

    @property
    def connected(self) -> bool:
        return bool(self.access_token) and self.uninstalled_at is None


class ShopifyWebhook(models.Model):
    """Every Shopify webhook delivery, stored before it is answered: a repeated `webhook_id` changes nothing, and
    a failed one can be replayed. `body` is the raw payload (personal data: erased with the customer)."""

    webhook_id = models.CharField(max_length=100, unique=True)
    topic = models.CharField(max_length=100)
    shop_domain = models.CharField(max_length=255, db_index=True)
    api_version = models.CharField(max_length=20, blank=True)
    event_id = models.CharField(max_length=100, blank=True)
    triggered_at = models.CharField(max_length=40, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.SmallIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["processed_at", "received_at"], name="shopify_webhook_pending")]

    def __str__(self):
        return f"{self.topic} {self.webhook_id}"


class ShopifyDataExport(models.Model):
    """What we held about one customer when Shopify asked (customers/data_request): kept for the merchant to
    download from the admin."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shopify_data_exports")
    customer_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.BigIntegerField(null=True, blank=True)
    webhook_id = models.CharField(max_length=100, unique=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Data request {self.request_id or self.pk} of {self.shop}"


class SuppressedPhone(models.Model):
    """A phone erased on a customer's redact request, kept only as HMAC-SHA256(SECRET_KEY) so the number stays
    suppressed if it comes back (services/shopify_sync/privacy.py)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="suppressed_phones")
    phone_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "phone_hash"], name="suppressed_phone_unique")]


class CampaignLink(models.Model):
    """A URL of a campaign's body, once per campaign and position: what `/l/{code}` redirects to. Written at
    enqueue (and by a test send); nothing is written per message."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links", db_index=False)
    position = models.SmallIntegerField()
    url = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "position"], name="link_unique_campaign_position")]


class LinkClick(models.Model):
    """One click on a short link, written set-based from the click buffer. `key` (the buffer entry's id as a
    number; negative and random for a click written at once) makes writing a buffered click twice a no-op.
    `is_bot`: a link previewer or scanner, counted apart."""

    key = models.BigIntegerField(unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False,
                                 db_constraint=False)
    recipient_id = models.BigIntegerField()
    position = models.SmallIntegerField()
    clicked_at = models.DateTimeField()
    is_bot = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["recipient_id", "clicked_at"], name="click_recipient_at")]


class CampaignLinkStats(models.Model):
    """A campaign's click counters, moved by the click writer in the same statement as the clicks: human clicks,
    recipients who clicked (unique), bot clicks, and the last human click (attribution looks only at campaigns
    clicked within its window)."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, primary_key=True, related_name="link_stats")
    clicks = models.BigIntegerField(default=0)
    unique_clicks = models.BigIntegerField(default=0)
    bot_clicks = models.BigIntegerField(default=0)
    last_click_at = models.DateTimeField(null=True, blank=True)


class OrderAttribution(models.Model):
    """A Shopify order of a shop, credited once to one campaign message (`kind` click or receive) or to none
    (no match, or cancelled before it was seen). Unique per shop and order: the same webhook twice credits once."""

    class Kind(models.TextChoices):
        CLICK = "click"
        RECEIVE = "receive"
        NONE = "none"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    order_id = models.BigIntegerField()
    campaign = models.ForeignKey(Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recipient_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    currency = models.CharField(max_length=3, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    ordered_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "order_id"], name="attribution_unique_shop_order")]


class CampaignRevenue(models.Model):
    """What a campaign earned, per currency and attribution kind, kept incrementally with each attribution (and
    taken back when its order is cancelled)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+", db_index=False)
    currency = models.CharField(max_length=3)
    kind = models.CharField(max_length=8)
    orders = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "currency", "kind"], name="revenue_unique_campaign_currency")
        ]
