"""Pages of the edi app, for supervisors (``edi.export_claims``): export ready and approved claims as an 837P
file for a clearinghouse, the files written, and downloading one again (on the trail: the file holds patient
data)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from claims.services import claims_listed_record

from . import services
from .filters import ExportClaimFilterSet, InterchangeFilterSet
from .forms import ExportForm
from .models import Interchange
from .selectors import active_clearinghouses, exportable_claims, interchange_detail, interchange_list
from .tables import PER_PAGE, ExportClaimTable, InterchangeClaimTable, InterchangeTable

VIEW_INTERCHANGE = "edi.view_interchange"


class ExportView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """Ready and approved claims, filtered, with a tick box each; *Export 837P* writes the ticked ones."""

    permission_required = services.EXPORT_PERMISSION
    raise_exception = True
    table_class = ExportClaimTable
    filterset_class = ExportClaimFilterSet
    template_name = "edi/export.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        zero = Value(0, output_field=DecimalField(max_digits=12, decimal_places=2))
        return exportable_claims().annotate(total=Coalesce(Sum("lines__charge"), zero))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["export_form"] = ExportForm(initial={"query": self.request.GET.urlencode()})
        context["clearinghouses"] = list(active_clearinghouses())
        context["per_file"] = settings.CLAIMDESK_BATCH_CHUNK_SIZE
        shown = [row.record.pk for row in context["table"].paginated_rows]
        with transaction.atomic():
            claims_listed_record(claim_ids=shown, user=self.request.user, page="837P export")
        return context

    def post(self, request, *args, **kwargs):
        form = ExportForm(request.POST)
        back = reverse("edi:export")
        query = request.POST.get("query", "")
        if query:
            back = f"{back}?{query}"
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(back)
        try:
            interchange = services.interchange_export(
                claims=form.cleaned_data["claims"], clearinghouse=form.cleaned_data["clearinghouse"], user=request.user
            )
        except services.ExportError as error:
            messages.error(request, str(error))
            return redirect(back)
        messages.success(
            request,
            f"Exported {interchange.claim_count} claim(s) as {interchange.file_name}: they are sent. "
            "Download the file below and upload it to the clearinghouse.",
        )
        return redirect(interchange)


class InterchangeListView(PermissionRequiredMixin, SingleTableMixin, FilterView):
    """The 837P files written, newest first."""

    permission_required = VIEW_INTERCHANGE
    raise_exception = True
    table_class = InterchangeTable
    filterset_class = InterchangeFilterSet
    template_name = "edi/interchange_list.html"
    table_pagination = {"per_page": PER_PAGE}

    def get_queryset(self):
        return interchange_list()


class InterchangeDetailView(PermissionRequiredMixin, DetailView):
    """One 837P file: its name, SHA-256, control numbers, and the claims it carried."""

    permission_required = VIEW_INTERCHANGE
    raise_exception = True
    template_name = "edi/interchange_detail.html"
    context_object_name = "interchange"

    def get_object(self, queryset=None):
        try:
            return interchange_detail(self.kwargs["pk"])
        except Interchange.DoesNotExist:
            raise Http404("No such 837P file.") from None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = InterchangeClaimTable(list(self.object.sent_claims.all()))
        RequestConfig(self.request, paginate=False).configure(table)
        context["claims_table"] = table
        return context


@require_GET
def interchange_download(request, pk: int):
    """The stored file, as written; who downloaded it is on the trail."""
    if not request.user.has_perm(services.EXPORT_PERMISSION):
        raise PermissionDenied
    interchange = get_object_or_404(Interchange, pk=pk)
    with transaction.atomic():
        services.interchange_downloaded_record(interchange=interchange, user=request.user)
    response = HttpResponse(interchange.content.encode("ascii"), content_type="application/edi-x12")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=interchange.file_name)
    return response


@require_POST
def export_background(request):
    """Every claim matching the export page's filters, exported in the background (one file per part of the
    batch); the batch's page shows the progress and then the files."""
    if not request.user.has_perm(services.EXPORT_PERMISSION):
        raise PermissionDenied
    query = request.POST.get("query", "")
    back = f"{reverse('edi:export')}{'?' + query if query else ''}"
    form = ExportForm(request.POST)
    form.fields["claims"].required = False
    filterset = ExportClaimFilterSet(QueryDict(query), queryset=exportable_claims(), request=request)
    if not form.is_valid() or not filterset.is_valid():
        messages.error(request, "Choose an active clearinghouse, and correct the filters.")
        return redirect(back)
    try:
        batch = services.interchange_export_queue(
            claims=list(filterset.qs.values_list("pk", flat=True)),
            clearinghouse=form.cleaned_data["clearinghouse"],
            user=request.user,
        )
    except services.ExportError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, f"{batch.item_count} claim(s) are being exported in the background.")
    return redirect(batch)
