"""Helpers of the admin tests: merchants invited by the real command, logged-in clients, admin URLs."""

import io

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse


def merchant_client(shop, email: str | None = None) -> Client:
    email = email or f"owner@{shop.domain}"
    call_command("invite_merchant", shop.domain, email, stdout=io.StringIO())
    client = Client()
    client.force_login(User.objects.get(username=email))
    return client


def superuser_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def changelist(model: str) -> str:
    return reverse(f"admin:campaigns_{model}_changelist")


def change(model: str, pk: int) -> str:
    return reverse(f"admin:campaigns_{model}_change", args=[pk])
