"""Buying credits: the packs on sale (`packs`), a pack bought inside Shopify as a one-time app purchase (`buy`),
and the purchase settled, credited exactly once when the Admin API reads it ACTIVE (`settle`).

May call: billing/ (the credit itself), shopify_sync/ (the shop's Admin API client), locks, the `shopify` edge.
Shopify's `app_purchases_one_time/update` webhook reaches `settle` through a task sent by name, so shopify_sync/
never calls this package.
"""
