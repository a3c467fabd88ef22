"""Admin for the settings the rules read: payers, the demographic edit table, and API tokens.

An API token's key is shown once, in a message right after the token is created; only its hash is
stored, so a lost key cannot be recovered: deactivate the token and create a new one.
"""

from __future__ import annotations

from django.contrib import admin, messages

from .models import ApiToken, DemographicEdit, Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "payer_type",
        "timely_filing_days",
        "apply_ncci",
        "rejects_s_codes",
        "ndc_required_all_drug_lines",
    )
    list_filter = ("payer_type", "apply_ncci")
    search_fields = ("name", "notes")
    ordering = ("payer_type", "name")
    fieldsets = (
        (None, {"fields": ("name", "payer_type", "notes")}),
        (
            "Rules settings (blank: the payer type's default)",
            {"fields": ("timely_filing_days", "apply_ncci", "rejects_s_codes", "ndc_required_all_drug_lines")},
        ),
        ("Prior authorisation", {"fields": ("pa_required_codes", "pa_required_ranges")}),
        ("Preferred products", {"fields": ("preferred_products",)}),
    )


@admin.register(DemographicEdit)
class DemographicEditAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "code_from", "code_to", "sex", "age_min", "age_max", "description", "active")
    list_editable = ("active",)
    list_filter = ("kind", "sex", "active")
    search_fields = ("code_from", "code_to", "description", "source")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "active")
    list_filter = ("active",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name")
        return ("user", "name", "prefix", "created_at", "last_used_at", "active")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "prefix", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = ApiToken.issue(user=obj.user, name=obj.name)
        # The admin goes on with ``obj`` (change log, redirect): make it the saved token.
        obj.pk, obj.key_hash, obj.prefix, obj.created_at = token.pk, token.key_hash, token.prefix, token.created_at
        obj._state.adding = False
        obj._state.db = token._state.db
        messages.warning(
            request,
            f"The key of API token “{token.name}” for {token.user}: {key} — copy it now. It is not stored and "
            "will not be shown again. Send it as the header 'Authorization: Token <key>'.",
        )
