"""The admin of the reference data: every changelist loads, rows are read-only, release history and deletion."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from codes.choices import PTPSetting, Source
from codes.models import (
    AddOnEdit,
    ASPLimit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)

from .factories import (
    make_addon,
    make_asp,
    make_code,
    make_fee,
    make_modifier,
    make_mue,
    make_ndc,
    make_pos,
    make_ptp,
    make_release,
)

pytestmark = pytest.mark.django_db

MODELS = [Release, ProcedureCode, Modifier, PlaceOfService, FeeScheduleIndicator, PTPEdit, MUELimit, AddOnEdit]
MODELS += [ASPLimit, NDCCrosswalk]


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:codes_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def reference_rows():
    hcpcs = make_release(Source.HCPCS, "2026 January")
    make_code("J1100", short_description="Dexamethasone sodium phos", is_drug=True, release=hcpcs)
    make_code("99213", label="Office visit, established patient")
    make_code("99417", label="Prolonged office visit", is_add_on=True)
    make_code("G0008", short_description="Admin influenza virus vac", termination_date=date(2020, 12, 31))
    make_modifier("25", short_description="Significant, separately identifiable E/M")
    make_modifier("XS", short_description="Separate structure", termination_date=date(2020, 1, 1))
    make_pos("11", "Office")
    ptp = make_release(Source.PTP_PRACTITIONER, "2026 Q1", total=3)
    make_ptp(ptp, "96372", "99211")
    make_ptp(ptp, "99213", "96372")
    make_ptp(ptp, "96373", "99211")
    make_ptp(make_release(Source.PTP_HOSPITAL, "2026 Q1"), "96372", "36000", setting=PTPSetting.HOSPITAL)
    make_mue(make_release(Source.MUE_PRACTITIONER, "2026 Q2"), "J1100", 100)
    make_addon(make_release(Source.AOC, "2026 Q1"), "99417", "99215")
    make_fee(make_release(Source.PFS_RVU, "RVU26A"), "99213")
    make_asp(make_release(Source.ASP, "2026 January"), "J1100")
    make_ndc(make_release(Source.NDC_CROSSWALK, "2026 January"), "63323016501", "J1100")


def changelist_pks(response):
    return sorted(obj.pk for obj in response.context["cl"].result_list)


# --- every changelist ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_search_and_detail_load_for_every_model(admin_client_logged, reference_rows, model):
    response = admin_client_logged.get(admin_url(model))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert admin_client_logged.get(admin_url(model), {"q": "J1100"}).status_code == 200
    obj = model.objects.first()
    assert admin_client_logged.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_list_filter_choice_loads(admin_client_logged, reference_rows, model):
    response = admin_client_logged.get(admin_url(model))
    for spec in response.context["cl"].filter_specs:
        for choice in spec.choices(response.context["cl"]):
            assert admin_client_logged.get(admin_url(model) + choice["query_string"]).status_code == 200


def test_procedure_code_search_by_code_and_descriptor(admin_client_logged, reference_rows):
    url = admin_url(ProcedureCode)
    by_code = admin_client_logged.get(url, {"q": "J11"})
    assert [o.code for o in by_code.context["cl"].result_list] == ["J1100"]
    by_words = admin_client_logged.get(url, {"q": "office"})
    assert [o.code for o in by_words.context["cl"].result_list] == ["99213", "99417"]


def test_procedure_code_filters(admin_client_logged, reference_rows):
    url = admin_url(ProcedureCode)

    def codes(params):
        return [o.code for o in admin_client_logged.get(url, params).context["cl"].result_list]

    assert codes({"status": "terminated"}) == ["G0008"]
    assert "G0008" not in codes({"status": "active"})
    assert codes({"is_add_on__exact": "1"}) == ["99417"]
    assert codes({"is_drug__exact": "1"}) == ["J1100"]
    assert codes({"system__exact": "HCPCS"}) == ["G0008", "J1100"]
    assert codes({"hcpcs_section__exact": "J"}) == ["J1100"]
    assert codes({"release": str(Release.objects.get(source=Source.HCPCS).pk)}) == ["J1100"]


def test_modifier_status_uses_its_own_dates(admin_client_logged, reference_rows):
    response = admin_client_logged.get(admin_url(Modifier), {"status": "terminated"})
    assert [o.code for o in response.context["cl"].result_list] == ["XS"]


def test_release_filter_lists_only_releases_of_the_matching_source(admin_client_logged, reference_rows):
    response = admin_client_logged.get(admin_url(PTPEdit))
    spec = next(s for s in response.context["cl"].filter_specs if getattr(s, "parameter_name", "") == "release")
    titles = [title for _value, title in spec.lookup_choices]
    assert titles == ["NCCI PTP edits, outpatient hospital 2026 Q1", "NCCI PTP edits, practitioner 2026 Q1"]


def test_ptp_search_is_exact_on_either_column_or_a_pair(admin_client_logged, reference_rows):
    url = admin_url(PTPEdit)

    def pairs(term):
        response = admin_client_logged.get(url, {"q": term})
        return sorted((o.column_1, o.column_2) for o in response.context["cl"].result_list)

    assert pairs("96372") == [("96372", "36000"), ("96372", "99211"), ("99213", "96372")]
    assert pairs("9637") == []  # exact, not icontains
    assert pairs("96372, 99211") == [("96372", "99211")]
    assert pairs("96373 99211") == [("96373", "99211")]


def test_ptp_admin_avoids_full_counts_and_joins_release(admin_client_logged, reference_rows):
    from django.contrib.admin import site

    model_admin = site._registry[PTPEdit]
    assert model_admin.show_full_result_count is False
    assert model_admin.list_select_related == ("release",)


# --- read-only -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_no_adding_reference_rows(admin_client_logged, reference_rows, model):
    assert admin_client_logged.get(admin_url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", [m for m in MODELS if m not in (Release, ProcedureCode)], ids=lambda m: m.__name__)
def test_imported_rows_cannot_be_changed_or_deleted_even_by_a_superuser(admin_client_logged, reference_rows, model):
    obj = model.objects.first()
    response = admin_client_logged.get(admin_url(model, "change", obj.pk))
    assert response.context["has_change_permission"] is False
    assert response.context["has_delete_permission"] is False
    assert admin_client_logged.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_superuser_may_edit_only_our_label_of_a_procedure_code(admin_client_logged, reference_rows):
    code = ProcedureCode.objects.get(code="99213")
    response = admin_client_logged.post(
        admin_url(ProcedureCode, "change", code.pk),
        {"label": "Office visit, low complexity", "code": "11111", "short_description": "changed"},
    )
    assert response.status_code == 302
    code.refresh_from_db()
    assert code.label == "Office visit, low complexity"
    assert code.code == "99213" and code.short_description == ""


def test_staff_with_view_permission_cannot_edit_labels(client, django_user_model, reference_rows):
    user = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_procedurecode", "change_procedurecode"]))
    client.force_login(user)
    code = ProcedureCode.objects.get(code="99213")
    assert client.get(admin_url(ProcedureCode)).status_code == 200
    response = client.post(admin_url(ProcedureCode, "change", code.pk), {"label": "hacked"})
    assert response.status_code == 403
    code.refresh_from_db()
    assert code.label == "Office visit, established patient"


def test_non_staff_users_are_kept_out_of_the_admin(biller_client):
    response = biller_client.get(admin_url(ProcedureCode))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- releases ------------------------------------------------------------------------------------


def test_release_history_shows_counts_and_provenance(admin_client_logged):
    make_release(
        Source.MUE_PRACTITIONER,
        "2026 Q2",
        file_name="MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
        sha256="ab12cd34ef56" + "0" * 52,
        imported_by="supervisor",
        added=10,
        changed=2,
        terminated=1,
        unchanged=15082,
        total=15095,
    )
    html = admin_client_logged.get(admin_url(Release)).content.decode()
    for text in ["MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", "ab12cd34ef56", "supervisor", "15095", "15082"]:
        assert text in html
    assert "Import a CMS file" in html
    response = admin_client_logged.get(admin_url(Release, "change", Release.objects.get().pk))
    assert response.context["has_change_permission"] is False


def test_superuser_deletes_a_snapshot_release_with_its_rows(admin_client_logged):
    keep = make_release(Source.PTP_PRACTITIONER, "2025 Q4")
    gone = make_release(Source.PTP_PRACTITIONER, "2026 Q1")
    make_ptp(keep, "96372", "99211")
    make_ptp(gone, "96372", "99211")
    make_ptp(gone, "96372", "99212")
    response = admin_client_logged.post(
        admin_url(Release), {"action": "delete_releases", "_selected_action": [gone.pk]}, follow=True
    )
    assert "Deleted NCCI PTP edits, practitioner 2026 Q1 and its 2 snapshot row(s)." in response.content.decode()
    assert not Release.objects.filter(pk=gone.pk).exists()
    assert list(PTPEdit.objects.values_list("release_id", flat=True)) == [keep.pk]


def test_a_release_catalogue_rows_point_at_is_protected(admin_client_logged):
    release = make_release(Source.HCPCS, "2026 January")
    make_code("J1100", release=release)
    response = admin_client_logged.post(
        admin_url(Release), {"action": "delete_releases", "_selected_action": [release.pk]}, follow=True
    )
    html = response.content.decode()
    assert "was not deleted" in html and "PROTECTed" in html
    assert Release.objects.filter(pk=release.pk).exists()


def test_only_superusers_may_delete_releases(client, django_user_model):
    user = django_user_model.objects.create_user("staffer", password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_release", "delete_release"]))
    client.force_login(user)
    release = make_release(Source.AOC, "2026 Q1")
    response = client.get(admin_url(Release))
    assert "delete_releases" not in response.context["cl"].model_admin.get_actions(response.wsgi_request)
    client.post(admin_url(Release), {"action": "delete_releases", "_selected_action": [release.pk]})
    assert client.post(admin_url(Release, "delete", release.pk), {"post": "yes"}).status_code == 403
    assert Release.objects.filter(pk=release.pk).exists()


def test_status_filter_boundaries_are_today(admin_client_logged):
    today = timezone.localdate()
    make_code("G0001", termination_date=today)  # last valid day: still active
    make_code("G0002", termination_date=today - timedelta(days=1))
    make_code("G0003", added_date=today + timedelta(days=1))
    url = admin_url(ProcedureCode)

    def codes(status):
        return [o.code for o in admin_client_logged.get(url, {"status": status}).context["cl"].result_list]

    assert codes("active") == ["G0001"]
    assert codes("terminated") == ["G0002"]
    assert codes("not_yet") == ["G0003"]
