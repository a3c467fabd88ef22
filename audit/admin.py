"""The audit trail in the admin: read only, for users who hold ``audit.view_auditevent`` (superusers)."""

import json

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .models import AuditEvent

SHOWN_FIELDS = (
    "sequence",
    "at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "claim_id",
    "summary",
    "what_happened",
    "changes",
    "details",
    "previous_hash",
    "hash",
)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Nobody adds, changes or deletes an event here: the change page is a read-only view."""

    list_display = ("sequence", "at", "actor_name", "action", "object_type", "object_id", "claim_id", "summary")
    list_filter = ("action", "object_type")
    date_hierarchy = "at"
    search_fields = ("summary", "actor_name", "object_id")
    ordering = ("-sequence",)
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    show_full_result_count = False  # the trail grows to millions of rows: no second COUNT(*) per page

    @admin.display(description="What happened")
    def what_happened(self, event: AuditEvent):
        return format_html_join(mark_safe("<br>"), "{}", ((sentence,) for sentence in event.sentences()))

    @admin.display(description="Details")
    def details(self, event: AuditEvent):
        return format_html("<pre>{}</pre>", json.dumps(event.data, indent=2, sort_keys=True, ensure_ascii=False))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
