"""Shopify sync: the install (`install`), the customer sync (`sync_start`, `sync`: chunks applied by `customers`,
or `customers_portable` off PostgreSQL), Shopify's webhooks stored and processed (`webhooks`), consent written
back (`writeback`), the privacy webhooks (`privacy`; the erased numbers' hashes are contacts/suppression's), the
status read-out (`status`).

May call: contacts/, billing/, links/ (orders attributed), shops, sending/'s `suspension` (an uninstall suspends the
shop), the `shopify` edge app. Never called by sending/.
"""
