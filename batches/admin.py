from django.contrib import admin

from .models import Batch, Chunk


class ChunkInline(admin.TabularInline):
    model = Chunk
    fields = ("number", "first_position", "item_count", "status", "attempts", "error", "task_id", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "item_count", "created_by", "created_at", "finished_at")
    list_filter = ("kind", "status")
    readonly_fields = (
        "kind", "status", "created_by", "created_at", "started_at", "finished_at", "file_name", "file_size",
        "file_sha256", "item_count", "params", "error",
    )  # fmt: skip
    exclude = ()
    inlines = [ChunkInline]

    def has_add_permission(self, request):
        return False
