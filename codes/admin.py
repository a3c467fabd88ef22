"""Admin for the reference data: imported rows are read-only; releases can be browsed, imported and deleted.

Permissions:

* every imported table (catalogues and snapshots) is view-only in the admin: rows change only by
  importing a file, so what the engine reads always matches a recorded release;
* ``ProcedureCode.label`` is ClaimDesk's own plain-language label, not CMS data, so a superuser may
  edit it (every other field stays read-only);
* releases are read-only; a superuser may delete one (its snapshot rows go with it, CASCADE; a
  release that catalogue rows still point at is PROTECTed and stays);
* the "Import a CMS file" page needs the ``codes.add_release`` permission (superusers have it).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import ProtectedError, Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import get_valid_filename

from .choices import MUE_SOURCE, PTP_SOURCE, Source
from .forms import ImportUploadForm
from .importers.base import ImportFileError
from .importers.registry import KINDS, get_kind
from .models import (
    AddOnEdit,
    ASPLimit,
    DiagnosisCode,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)

# --- filters ------------------------------------------------------------------------------------


class StatusListFilter(admin.SimpleListFilter):
    """Active / terminated / not yet effective today, from the row's own start and termination dates."""

    title = "status"
    parameter_name = "status"
    start_field = "added_date"

    def lookups(self, request, model_admin):
        return [("active", "Active today"), ("terminated", "Terminated"), ("not_yet", "Not yet effective")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        start = self.start_field
        if self.value() == "active":
            return queryset.filter(
                (Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": today}))
                & (Q(termination_date__isnull=True) | Q(termination_date__gte=today))
            )
        if self.value() == "terminated":
            return queryset.filter(termination_date__lt=today)
        if self.value() == "not_yet":
            return queryset.filter(**{f"{start}__gt": today})
        return queryset


class ModifierStatusListFilter(StatusListFilter):
    start_field = "effective_date"


def release_filter(*sources: str) -> type[admin.SimpleListFilter]:
    """A release filter listing only the releases of the sources that load the table."""

    class ReleaseListFilter(admin.SimpleListFilter):
        title = "release"
        parameter_name = "release"

        def lookups(self, request, model_admin):
            releases = Release.objects.filter(source__in=sources).order_by("source", "-effective_date")
            return [(str(release.pk), str(release)) for release in releases]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(release_id=self.value())
            return queryset

    return ReleaseListFilter


# --- base admins --------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Imported reference rows: viewable, never added, changed or deleted in the admin."""

    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- uploading a CMS file -----------------------------------------------------------------------

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_AFTER = timedelta(days=1)


@dataclass
class StagedUpload:
    """An uploaded file kept between preview and confirm: IMPORT_UPLOAD_DIR/<random token>/<file name>.

    The file keeps its original (sanitised) name inside the token directory because importers read
    the release label from it (``pos_codes_2024-06.csv``); the token makes the path unguessable.
    """

    token: str
    kind: str
    file_name: str
    label: str
    effective_date: date | None
    uploaded_by: str

    @property
    def directory(self) -> Path:
        return Path(settings.IMPORT_UPLOAD_DIR) / self.token

    @property
    def path(self) -> Path:
        return self.directory / self.file_name

    @classmethod
    def store(cls, upload, *, kind: str, label: str, effective_date: date | None, user: str) -> StagedUpload:
        cls.purge_stale()
        staged = cls(
            token=secrets.token_hex(16),
            kind=kind,
            file_name=get_valid_filename(Path(upload.name).name) or "upload",
            label=label,
            effective_date=effective_date,
            uploaded_by=user,
        )
        staged.directory.mkdir(parents=True, exist_ok=False)
        with staged.path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        meta = {
            "kind": kind,
            "file_name": staged.file_name,
            "label": label,
            "effective_date": effective_date.isoformat() if effective_date else None,
            "uploaded_by": user,
        }
        (staged.directory / "upload.json").write_text(json.dumps(meta))
        return staged

    @staticmethod
    def purge_stale(max_age: timedelta = STALE_AFTER) -> None:
        """Remove uploads previewed but never confirmed or cancelled (older than ``max_age``)."""
        root = Path(settings.IMPORT_UPLOAD_DIR)
        if not root.is_dir():
            return
        cutoff = time.time() - max_age.total_seconds()
        for directory in root.iterdir():
            if directory.is_dir() and _TOKEN.match(directory.name) and directory.stat().st_mtime < cutoff:
                shutil.rmtree(directory, ignore_errors=True)

    @classmethod
    def find(cls, token: str, *, user: str) -> StagedUpload | None:
        """The staged upload of ``user`` with this token, or None (unknown token, someone else's file)."""
        if not _TOKEN.match(token or ""):
            return None
        meta_path = Path(settings.IMPORT_UPLOAD_DIR) / token / "upload.json"
        if not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text())
        if meta["uploaded_by"] != user or meta["kind"] not in KINDS:
            return None
        effective = date.fromisoformat(meta["effective_date"]) if meta["effective_date"] else None
        return cls(token, meta["kind"], meta["file_name"], meta["label"], effective, meta["uploaded_by"])

    def run(self, *, dry_run: bool, imported_by: str, actor=None):
        importer = get_kind(self.kind).build(
            self.path,
            label=self.label or None,
            effective_date=self.effective_date,
            imported_by=imported_by,
            actor=actor,
            dry_run=dry_run,
        )
        return importer.run()

    def delete(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class ImportUploadAdminMixin:
    """ "Import a CMS file": upload, preview a dry run, then confirm (or cancel) on ReleaseAdmin."""

    import_template = "admin/codes/release/import.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="codes_release_import"), *super().get_urls()]

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("codes.add_release")

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        action = request.POST.get("action", "preview") if request.method == "POST" else ""
        if action in {"confirm", "cancel"}:
            return self._finish_import(request, action)
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": "Import a CMS file"}
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            staged = StagedUpload.store(
                data["file"],
                kind=data["kind"],
                label=data["label"].strip(),
                effective_date=data["effective_date"],
                user=request.user.get_username(),
            )
            try:
                results = staged.run(dry_run=True, imported_by=request.user.get_username())
            except ImportFileError as error:
                staged.delete()
                form.add_error("file", f"{error} (nothing was imported)")
            except ImportError:
                staged.delete()
                form.add_error("kind", "The importer for this kind of file is not installed.")
            else:
                context.update(staged=staged, kind=get_kind(staged.kind), results=results)
        context["form"] = form
        return TemplateResponse(request, self.import_template, context)

    def _finish_import(self, request, action: str):
        import_url = reverse("admin:codes_release_import")
        staged = StagedUpload.find(request.POST.get("token", ""), user=request.user.get_username())
        if staged is None:
            self.message_user(
                request, "That upload is no longer available; please upload the file again.", messages.ERROR
            )
            return redirect(import_url)
        if action == "cancel":
            staged.delete()
            self.message_user(request, f"Import of {staged.file_name} cancelled; the uploaded file was deleted.")
            return redirect(import_url)
        try:
            results = staged.run(dry_run=False, imported_by=request.user.get_username(), actor=request.user)
        except ImportFileError as error:
            self.message_user(request, f"{error} (nothing was imported)", messages.ERROR)
            return redirect(import_url)
        finally:
            staged.delete()
        for result in results:
            if result.changed_anything:
                self.message_user(request, result.summary_line, messages.SUCCESS)
            else:
                self.message_user(request, f"{result.release}: this file was already imported; nothing changed.")
        return redirect("admin:codes_release_changelist")


# --- releases -----------------------------------------------------------------------------------


@admin.register(Release)
class ReleaseAdmin(ImportUploadAdminMixin, admin.ModelAdmin):
    list_display = (
        "source",
        "label",
        "effective_date",
        "file_name",
        "sha256_prefix",
        "imported_by",
        "imported_at",
        "is_starter",
        "added",
        "changed",
        "terminated",
        "unchanged",
        "total",
    )
    list_filter = ("source", "is_starter")
    search_fields = ("label", "file_name", "sha256", "imported_by")
    date_hierarchy = "imported_at"
    ordering = ("-imported_at", "-id")
    actions = ["delete_releases"]
    change_list_template = "admin/codes/release/change_list.html"

    @admin.display(description="SHA-256", ordering="sha256")
    def sha256_prefix(self, obj):
        return format_html('<span title="{}" class="code-mono">{}</span>', obj.sha256, obj.sha256[:12])

    def has_add_permission(self, request):
        return False  # releases are recorded by importing a file ("Import a CMS file")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        if not request.user.is_superuser:
            actions.pop("delete_releases", None)
        return actions

    @admin.action(description="Delete selected releases and their snapshot rows")
    def delete_releases(self, request, queryset):
        """Delete releases one by one: snapshot rows go with them (CASCADE); catalogue rows PROTECT theirs."""
        if not request.user.is_superuser:
            self.message_user(request, "Only a superuser may delete releases.", messages.ERROR)
            return
        for release in queryset:
            name = str(release)
            try:
                _, deleted = release.delete()
            except ProtectedError as error:
                self.message_user(
                    request,
                    f"{name} was not deleted: {len(error.protected_objects)} catalogue row(s) (procedure codes, "
                    "modifiers or places of service) still point at it, and catalogue rows are PROTECTed. "
                    "Import a newer release of that file instead.",
                    messages.ERROR,
                )
                continue
            rows = sum(count for model, count in deleted.items() if model != "codes.Release")
            self.message_user(request, f"Deleted {name} and its {rows} snapshot row(s).", messages.SUCCESS)


# --- catalogues ---------------------------------------------------------------------------------


@admin.register(ProcedureCode)
class ProcedureCodeAdmin(admin.ModelAdmin):
    """Read-only, except ClaimDesk's own label, which a superuser may edit."""

    list_display = (
        "code",
        "system",
        "cpt_category",
        "hcpcs_section",
        "section",
        "label",
        "short_description",
        "termination_date",
        "is_add_on",
        "is_drug",
        "is_unlisted",
        "origin",
        "release",
    )
    list_filter = (
        "system",
        "cpt_category",
        "hcpcs_section",
        "section",
        StatusListFilter,
        "is_add_on",
        "is_drug",
        "is_unlisted",
        "origin",
        release_filter(Source.HCPCS, Source.CPT),
    )
    search_fields = ("^code", "label", "short_description", "long_description")
    list_select_related = ("release",)
    list_per_page = 50
    fields = (
        ("code", "system"),
        ("cpt_category", "hcpcs_section", "section"),
        "label",
        "short_description",
        "long_description",
        ("added_date", "action_effective_date", "termination_date"),
        ("action_code", "coverage_code", "pricing_indicators", "betos", "type_of_service"),
        ("is_add_on", "is_unlisted", "is_drug"),
        ("drug_dose_amount", "drug_dose_unit", "drug_route"),
        ("origin", "origin_note", "release"),
    )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in {"id", "label"}]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Modifier)
class ModifierAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "short_description", "ncci_group", "effective_date", "termination_date", "release")
    list_filter = (
        "kind",
        "ncci_group",
        ModifierStatusListFilter,
        release_filter(Source.HCPCS_MODIFIERS, Source.MODIFIERS),
    )
    search_fields = ("^code", "short_description", "description")
    list_select_related = ("release",)


@admin.register(PlaceOfService)
class PlaceOfServiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "facility_type", "release")
    list_filter = ("facility_type", release_filter(Source.POS))
    search_fields = ("^code", "name", "description")
    list_select_related = ("release",)


# --- snapshot tables ----------------------------------------------------------------------------


@admin.register(FeeScheduleIndicator)
class FeeScheduleIndicatorAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "modifier",
        "status",
        "pctc_indicator",
        "global_days",
        "multiple_procedure",
        "bilateral_surgery",
        "assistant_surgery",
        "co_surgery",
        "team_surgery",
        "release",
    )
    list_filter = ("status", "pctc_indicator", "global_days", release_filter(Source.PFS_RVU))
    search_fields = ("=code",)
    list_select_related = ("release",)


_CODE_TOKEN = re.compile(r"[A-Za-z0-9]{5}")


@admin.register(PTPEdit)
class PTPEditAdmin(ReadOnlyAdmin):
    """Millions of rows: exact-code search on the indexed columns, no full counts, cheap filters only."""

    list_display = (
        "column_1",
        "column_2",
        "setting",
        "modifier_indicator",
        "effective_date",
        "deletion_date",
        "rationale",
        "release",
    )
    list_filter = ("setting", release_filter(*PTP_SOURCE.values()))
    search_fields = ("column_1", "column_2")  # replaced by exact matching in get_search_results
    search_help_text = "One code (as column 1 or column 2) or two codes 'column 1, column 2', exact."
    list_select_related = ("release",)
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        codes = [code.upper() for code in _CODE_TOKEN.findall(search_term or "")]
        if not search_term.strip():
            return queryset, False
        if not codes:
            return queryset.none(), False
        if len(codes) == 1:
            return queryset.filter(Q(column_1=codes[0]) | Q(column_2=codes[0])), False
        return queryset.filter(column_1=codes[0], column_2=codes[1]), False


@admin.register(MUELimit)
class MUELimitAdmin(ReadOnlyAdmin):
    list_display = ("code", "service_type", "value", "adjudication_indicator", "rationale", "release")
    list_filter = ("service_type", "adjudication_indicator", release_filter(*MUE_SOURCE.values()))
    search_fields = ("=code", "rationale")
    list_select_related = ("release",)


@admin.register(AddOnEdit)
class AddOnEditAdmin(ReadOnlyAdmin):
    list_display = ("add_on_code", "primary_code", "edit_type", "effective_date", "deletion_date", "release")
    list_filter = ("edit_type", release_filter(Source.AOC))
    search_fields = ("=add_on_code", "=primary_code")
    list_select_related = ("release",)


@admin.register(ASPLimit)
class ASPLimitAdmin(ReadOnlyAdmin):
    list_display = ("code", "dosage", "payment_limit", "coinsurance_percent", "release")
    list_filter = (release_filter(Source.ASP),)
    search_fields = ("^code", "dosage")
    list_select_related = ("release",)


@admin.register(NDCCrosswalk)
class NDCCrosswalkAdmin(ReadOnlyAdmin):
    list_display = ("ndc", "code", "drug_name", "labeler", "hcpcs_dosage", "billing_units_per_package", "release")
    list_filter = (release_filter(Source.NDC_CROSSWALK),)
    search_fields = ("=ndc", "^code", "drug_name", "labeler")
    list_select_related = ("release",)


@admin.register(DiagnosisCode)
class DiagnosisCodeAdmin(ReadOnlyAdmin):
    """ICD-10-CM codes, one edition (fiscal year) per release; search by code beginning (no dot) or words."""

    list_display = ("code", "billable", "description", "release")
    list_filter = ("billable", release_filter(Source.ICD10CM))
    search_fields = ("^code", "description")
    list_select_related = ("release",)
