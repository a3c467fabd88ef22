from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib import admin

        from . import signals
        from .admin import ClaimDeskAdminSite

        signals.connect()
        # The one admin site keeps its registrations and takes our permission check (two-factor).
        admin.site.__class__ = ClaimDeskAdminSite
