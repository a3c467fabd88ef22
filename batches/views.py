"""Pages of the batches app: check a file, the batch list, a batch's progress, its results and each claim's.

Everything needs the scrub API's permission (``claims.check_claim``); a biller sees their own batches, a
supervisor everyone's. Addresses hold only batch and result numbers, never anything from the file.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import SingleTableMixin

from . import kinds, services
from .choices import BatchKind, BatchStatus
from .filters import BatchFilterSet, ClaimResultFilterSet
from .forms import CheckFileForm
from .models import Batch
from .selectors import (
    RUN_BATCH,
    batch_chunk_errors,
    batch_chunk_summaries,
    batch_progress,
    batch_results,
    batches_visible_to,
    risk_counts,
    rule_counts,
)
from .tables import PER_PAGE, BatchTable, ClaimResultTable


class BatchListView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    permission_required = RUN_BATCH
    raise_exception = True
    table_class = BatchTable
    filterset_class = BatchFilterSet
    template_name = "batches/batch_list.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        return batches_visible_to(self.request.user)


@permission_required(RUN_BATCH, raise_exception=True)
def batch_create(request):
    """Upload a scrub document: checked for shape at once, then checked for denial risks in the background."""
    form = CheckFileForm(request.POST, request.FILES) if request.method == "POST" else CheckFileForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        batch = services.batch_create(
            user=request.user,
            kind=BatchKind.CHECK,
            items=form.cleaned_data["claims"],
            file_name=upload.name or "",
            file_size=upload.size,
            file_sha256=form.cleaned_data["sha256"],
            params={"today": form.today.isoformat()},
        )
        return redirect(batch)
    return render(request, "batches/batch_form.html", {"form": form})


class BatchPageMixin(PermissionRequiredMixin):
    permission_required = RUN_BATCH
    raise_exception = True

    def get_batch(self) -> Batch:
        return get_object_or_404(batches_visible_to(self.request.user), pk=self.kwargs["pk"])


class BatchDetailView(BatchPageMixin, DetailView):
    """The batch's progress; htmx polls it for the progress partial and is sent on to the results when done."""

    template_name = "batches/batch_detail.html"
    context_object_name = "batch"

    def get_object(self, queryset=None):
        return self.get_batch()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.status == BatchStatus.RUNNING and services.chunks_stalled_requeue():
            self.object = self.get_object()  # with every worker gone no part runs: the page being watched looks too
        if request.htmx and self.object.status == BatchStatus.DONE and self.object.kind != BatchKind.EXPORT_837P:
            return HttpResponseClientRedirect(reverse("batches:batch_results", args=[self.object.pk]))
        context = self.get_context_data(object=self.object)
        if request.htmx:
            return render(request, "batches/_progress.html", context)
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = batch_progress(self.object)
        context["chunk_errors"] = batch_chunk_errors(self.object)
        if self.object.kind == BatchKind.EXPORT_837P:
            context["export_files"] = batch_chunk_summaries(self.object)
        return context


@require_POST
@permission_required(RUN_BATCH, raise_exception=True)
def batch_retry(request, pk: int):
    batch = get_object_or_404(batches_visible_to(request.user), pk=pk)
    queued = services.batch_retry(batch=batch)
    if queued:
        messages.info(request, f"{queued} part{'s' if queued != 1 else ''} queued again.")
    else:
        messages.warning(request, "Nothing to retry: only a batch that failed has parts to run again.")
    return redirect(batch)


class BatchResultsView(BatchPageMixin, SingleTableMixin, FilterView):
    """A done batch: claims by risk, findings by rule, and the claims (filtered by risk and rule)."""

    table_class = ClaimResultTable
    filterset_class = ClaimResultFilterSet
    template_name = "batches/batch_results.html"
    table_pagination = {"per_page": PER_PAGE}

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not request.user.has_perm(RUN_BATCH):
            return super().dispatch(request, *args, **kwargs)
        self.batch = self.get_batch()
        self.rules = rule_counts(self.batch)
        if self.batch.status != BatchStatus.DONE or self.batch.kind == BatchKind.EXPORT_837P:
            return redirect(self.batch)  # an export's files are listed on the batch's page
        elsewhere = kinds.results_page(self.batch)
        if elsewhere:
            return redirect(elsewhere)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return batch_results(self.batch)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["rules"] = [row["rule"] for row in self.rules]
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["batch"] = self.batch
        context["risks"] = risk_counts(self.batch)
        context["rules"] = self.rules
        first = self.batch.chunks.order_by("number").first()
        context["reference_data"] = (first.summary if first else {}).get("reference_data", {})
        return context


class ResultDetailView(BatchPageMixin, DetailView):
    """One claim of a batch: its risk and every finding."""

    template_name = "batches/claimresult_detail.html"
    context_object_name = "result"

    def get_object(self, queryset=None):
        batch = self.get_batch()
        return get_object_or_404(batch.claim_results.select_related("batch"), pk=self.kwargs["result_pk"])
