"""Shopify sync (to come): install, the first and ongoing customer and consent sync, Shopify's webhooks
processed into contacts (through contacts/, whose precedence rules decide consent), our STOPs written back.

May call: contacts/, billing/, the `shopify` edge app. Never called by sending/.
"""
