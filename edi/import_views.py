"""Pages of the 837P import, for supervisors (``edi.import_claims``): upload a file, the imported files, and one
import's results (claims by risk, findings by rule, each claim linked, and what the claims could not hold).

Addresses hold only import numbers; nothing from the file (names, member IDs, account numbers) goes into one.
"""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin, SingleTableView

from claims.models import Payer, Provider

from . import imports
from .import_filters import ImportedClaimFilterSet
from .import_forms import ImportFileForm
from .import_selectors import (
    IMPORT_CLAIMS,
    import_risk_counts,
    import_rule_counts,
    import_warnings,
    imported_claims,
    imported_files,
)
from .import_tables import PER_PAGE, ImportedClaimTable, ImportedFileTable


class ImportedFileListView(PermissionRequiredMixin, SingleTableView):
    permission_required = IMPORT_CLAIMS
    raise_exception = True
    table_class = ImportedFileTable
    template_name = "edi/importedfile_list.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        return imported_files()


@permission_required(IMPORT_CLAIMS, raise_exception=True)
def import_create(request):
    """Upload an 837P file: read whole at once (a malformed or already imported file is refused here, nothing
    queued), then its claims are saved and checked in the background."""
    form = ImportFileForm(request.POST, request.FILES) if request.method == "POST" else ImportFileForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = imports.file_queue(raw=form.cleaned_data["raw"], file_name=upload.name or "", user=request.user)
        except imports.ImportRefused as error:
            form.add_error("file", f"{error}.")
        else:
            return redirect(batch)
    return render(request, "edi/import_form.html", {"form": form})


class ImportDetailView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """One import: its file, progress, the payers and providers it added, the claims by risk and findings by rule,
    and each claim linked to its page."""

    permission_required = IMPORT_CLAIMS
    raise_exception = True
    table_class = ImportedClaimTable
    filterset_class = ImportedClaimFilterSet
    template_name = "edi/importedfile_detail.html"
    table_pagination = {"per_page": PER_PAGE}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.has_perm(IMPORT_CLAIMS):
            self.imported = get_object_or_404(imported_files(), pk=self.kwargs["pk"])
            self.rules = import_rule_counts(self.imported)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return imported_claims(self.imported)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["rules"] = [row["rule"] for row in self.rules]
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        records = self.imported.created_records
        context.update(
            imported=self.imported,
            risks=import_risk_counts(self.imported),
            rules=self.rules,
            warnings=import_warnings(self.imported),
            new_payers=Payer.objects.filter(pk__in=[row[0] for row in records.get("payers", [])]),
            new_providers=Provider.objects.filter(pk__in=[row[0] for row in records.get("providers", [])]),
        )
        return context
