"""Admin of the edi app: clearinghouses with their interchange settings (kept here by administrators), and
the 837P files written, read-only (their content is downloaded from the app's page, which the trail records)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from .models import Clearinghouse, Interchange, InterchangeClaim


@admin.register(Clearinghouse)
class ClearinghouseAdmin(admin.ModelAdmin):
    list_display = ("name", "active", "usage", "sender_id", "receiver_id", "last_interchange_control_number",
                    "last_group_control_number")
    list_filter = ("active", "usage")
    search_fields = ("name", "sender_id", "receiver_id")
    fieldsets = (
        (None, {"fields": ("name", "active", "usage", "acknowledgment_requested")}),
        ("Interchange and group (ISA, GS)", {
            "fields": (("sender_qualifier", "sender_id"), ("receiver_qualifier", "receiver_id"),
                       "application_sender", "application_receiver"),
            "description": "The IDs the clearinghouse's companion guide gives you.",
        }),
        ("Submitter (1000A)", {"fields": ("submitter_name", "submitter_etin", "contact_name", "contact_phone",
                                          "contact_email")}),
        ("Receiver (1000B)", {"fields": ("receiver_name", "receiver_etin")}),
        ("Control numbers", {
            "fields": ("last_interchange_control_number", "last_group_control_number"),
            "description": "The last numbers used. Every export raises both by one; they may be raised by hand to "
            "continue another system's numbering, never lowered (a number is never used twice).",
        }),
    )


    def save_model(self, request, obj, form, change):
        """Under the row lock an export takes: an export that ran while the form was open keeps its numbers (the
        form's check compared with the numbers as they were when it was posted)."""
        if change:
            stored = Clearinghouse.objects.select_for_update().get(pk=obj.pk)
            for name in ("last_interchange_control_number", "last_group_control_number"):
                if getattr(obj, name) < getattr(stored, name):
                    setattr(obj, name, getattr(stored, name))
                    messages.warning(request, f"{obj._meta.get_field(name).verbose_name} kept at "
                                              f"{getattr(stored, name)}: an export used it meanwhile.")
        super().save_model(request, obj, form, change)


class InterchangeClaimInline(admin.TabularInline):
    model = InterchangeClaim
    fields = ("claim", "patient_control_number", "frequency_code")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Interchange)
class InterchangeAdmin(admin.ModelAdmin):
    """Read-only: a file written is a record of what was sent."""

    list_display = ("file_name", "clearinghouse", "control_number", "group_control_number", "claim_count", "usage",
                    "created_at", "created_by")
    list_filter = ("clearinghouse", "usage")
    search_fields = ("file_name", "sha256")
    fields = ("file_name", "page", "clearinghouse", "control_number", "group_control_number", "sha256", "size",
              "usage", "claim_count", "created_at", "created_by")
    readonly_fields = fields
    inlines = [InterchangeClaimInline]

    @admin.display(description="download")
    def page(self, obj):
        return format_html('<a href="{}">on the 837P file\'s page</a>', obj.get_absolute_url())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
