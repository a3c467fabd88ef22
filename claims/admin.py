"""Admin for the settings the rules read (payers, the demographic edit table), API tokens, the practice's
providers, and claims and patients (read and searched here, entered in the app).

An API token's key is shown once, in a message right after the token is created; only its hash is
stored, so a lost key cannot be recovered: revoke the token (the *Revoke* action, on the audit trail) and
issue a new one. Every token expires; the list shows each token's last use, expiry and state.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.utils import timezone

from codes.validators import validate_date_in_range

from . import services
from .api_tokens import api_token_issue, api_token_revoke
from .models import (
    ApiToken,
    Claim,
    ClaimFinding,
    ClaimLine,
    ClaimReview,
    ClaimSnapshot,
    ClaimStatusChange,
    DemographicEdit,
    Patient,
    Payer,
    Provider,
    ReviewSettings,
)


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
        (
            "Electronic claims (837P NM1*PR, N3, N4)",
            {"fields": ("payer_id", "address_line1", "address_line2", "city", "state", "zip_code")},
        ),
    )


@admin.register(DemographicEdit)
class DemographicEditAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "code_from", "code_to", "sex", "age_min", "age_max", "description", "active")
    list_editable = ("active",)
    list_filter = ("kind", "sex", "active")
    search_fields = ("code_from", "code_to", "description", "source")


class ApiTokenIssueForm(forms.ModelForm):
    """Issuing a token: who, what for, and until when (blank: ``CLAIMDESK_API_TOKEN_DAYS`` from now)."""

    expires_at = forms.SplitDateTimeField(
        label="Expires",
        required=False,
        widget=widgets.AdminSplitDateTime,
        help_text="Leave blank for the default (CLAIMDESK_API_TOKEN_DAYS days from now). Every token expires.",
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name", "expires_at")

    def clean_expires_at(self):
        value = self.cleaned_data.get("expires_at")
        if value is not None:
            if value <= timezone.now():
                raise forms.ValidationError("The expiry must be in the future.")
            validate_date_in_range(value)
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "expires_at", "state_label", "revoked_at")
    list_filter = ("active",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    actions = ("revoke_tokens",)
    readonly_fields_on_change = (
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "state_label",
        "revoked_at",
        "revoked_by",
    )

    @admin.display(description="state")
    def state_label(self, obj: ApiToken) -> str:
        return obj.state.label

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenIssueForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "expires_at")
        return ("user", "name", *self.readonly_fields_on_change[1:])

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return self.readonly_fields_on_change

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        token, key = api_token_issue(
            user=obj.user, name=obj.name, issued_by=request.user, expires_at=form.cleaned_data.get("expires_at")
        )
        # The admin goes on with ``obj`` (change log, redirect): make it the saved token.
        obj.pk, obj.key_hash, obj.prefix, obj.created_at = token.pk, token.key_hash, token.prefix, token.created_at
        obj.expires_at = token.expires_at
        obj._state.adding = False
        obj._state.db = token._state.db
        messages.warning(
            request,
            f"The key of API token “{token.name}” for {token.user}: {key} — copy it now. It is not stored and "
            f"will not be shown again. Send it as the header 'Authorization: Token <key>'. It expires on "
            f"{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}.",
        )

    @admin.action(description="Revoke the selected API tokens", permissions=["change"])
    def revoke_tokens(self, request, queryset):
        tokens = queryset.select_related("user")
        revoked = [token for token in tokens if api_token_revoke(token=token, revoked_by=request.user)]
        if revoked:
            names = ", ".join(f"“{token.name}” ({token.prefix}…)" for token in revoked)
            messages.success(request, f"Revoked {len(revoked)} API token{'' if len(revoked) == 1 else 's'}: {names}.")
        left = queryset.count() - len(revoked)
        if left:
            messages.info(request, f"{left} of the selected tokens were already revoked.")


# --- claims: read in the admin; billers change them on the entry page, where the workflow services run ----
class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimLineInline(ReadOnlyInline):
    model = ClaimLine
    fields = ("number", "code", "modifiers", "units", "charge", "dx_pointers", "ndc", "date_of_service")
    readonly_fields = fields


class ClaimFindingInline(ReadOnlyInline):
    model = ClaimFinding
    fields = ("line_number", "rule", "category", "severity", "message", "override_reason", "overridden_by")
    readonly_fields = fields


class ClaimStatusChangeInline(ReadOnlyInline):
    model = ClaimStatusChange
    fields = ("at", "from_status", "to_status", "user", "note")
    readonly_fields = fields


class ClaimSnapshotInline(ReadOnlyInline):
    model = ClaimSnapshot
    fields = ("number", "created_at", "created_by", "status", "risk", "queue_reason", "sampling")
    readonly_fields = fields


class ClaimReviewInline(ReadOnlyInline):
    model = ClaimReview
    fields = ("created_at", "reason", "assignee", "outcome", "note", "decided_by", "decided_at")
    readonly_fields = fields


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """Claims are entered and moved on in the app (the services keep the audit trail); the admin only reads."""

    list_display = ("__str__", "patient", "payer", "date_of_service", "status", "risk", "created_by", "updated_at")
    list_filter = ("status", "risk", "payer")
    search_fields = ("patient__last_name", "patient__member_id", "lines__code")
    date_hierarchy = "date_of_service"
    list_select_related = ("patient", "payer", "created_by")
    inlines = (ClaimLineInline, ClaimFindingInline, ClaimSnapshotInline, ClaimReviewInline, ClaimStatusChangeInline)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Claim._meta.fields]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # claims are voided in the app, with a reason, never deleted


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    """Shared patient records. Claims keep the patient as entered on them; correcting a record here is a
    supervisor's action (``claims.change_patient``), recorded on the audit trail."""

    list_display = ("last_name", "first_name", "date_of_birth", "sex", "member_id")
    search_fields = ("last_name", "first_name", "member_id")

    def save_model(self, request, obj, form, change):
        if change:
            services.patient_update(
                patient=obj, user=request.user, changes={name: form.cleaned_data[name] for name in form.changed_data}
            )
        else:
            services.patient_add(patient=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # claims are filed under patients; their trail must stay whole


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    """The providers the entry form offers; an NPI is checked as the FMT-NPI-LUHN rule checks claims. Every
    change is recorded on the audit trail."""

    list_display = ("name", "kind", "npi", "specialty", "group_tin", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "npi", "group_tin")

    def save_model(self, request, obj, form, change):
        services.provider_save(provider=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate a provider instead: claims name them


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    """The shares of ready claims sampled for review (one row; supervisors set them)."""

    list_display = ("__str__", "risk_sample_percent", "random_sample_percent", "updated_at")

    def has_add_permission(self, request):
        return not ReviewSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        ReviewSettings.current()  # the one row always exists, with the defaults
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        services.review_settings_save(settings_row=obj, user=request.user)
