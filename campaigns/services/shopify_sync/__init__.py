"""Shopify sync: the install (`install`), Shopify's webhooks stored and processed (`webhooks`), the status read-out
(`status`); to come: the first and ongoing customer and consent sync into contacts (through contacts/, whose
precedence rules decide consent) and our STOPs written back.

May call: contacts/, billing/, links/ (orders attributed), shops, sending/'s `suspension` (an uninstall suspends the
shop), the `shopify` edge app. Never called by sending/.
"""
