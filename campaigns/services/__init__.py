"""The domain's services, one subpackage per capability (DESIGN.md "Layout"; ARCHITECTURE.md walks them).

- `compliance/`: pure rules (opt-out language, message size, frequency cap, quiet hours, legal windows).
- `billing/`: the credit ledger; every credit movement.
- `contacts/`: contacts, consent and its history; every consent change.
- `audience/`: who a campaign reaches, and the pre-flight.
- `links/`: short-link codes, the redirect's target, clicks, order attribution, the campaign report.
- `sending/`: enqueue, dispatch, the batch state machine, the outbound gateway, retries, unknown outcomes,
  scheduling, pause/resume/cancel.
- `reports/`: delivery reports and inbound replies.
- `shopify_sync/`: the Shopify install and stored webhooks (orders handed to links/).
- `purchases/`: credit packs bought inside Shopify (may call billing and shopify_sync).

Shared by all: `errors` (DomainError), `locks` (the one lock order), `publish` (tasks sent by their registered
name, so no service imports `campaigns.tasks`). Calls go down this list, never up: compliance and billing call
no other capability; contacts and audience may call those two; links may call those four; sending may call
every one above it; reports may call contacts, billing and sending's gateway; shopify_sync may call contacts,
billing and links.
"""
