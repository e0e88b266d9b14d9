"""Contacts and consent: upserting one or many (`upsert`), consent's precedence rules and history rows
(`consent`), opt-out and opt-in from replies (`optout`), a phone's consent record for export
(`consent_export`), numbers erased at their owner's request kept only as a hash and never added again
(`suppression`). Every consent change is written here.

May call: compliance/, billing/ (none yet), `errors`.
"""
