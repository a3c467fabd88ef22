"""The billing team's roles as Django groups, and the permissions each one holds.

This is the one place that says who may do what: later issues add their permissions to
``ROLE_PERMISSIONS`` (as ``"app_label.codename"``) and the groups pick them up on the next
``migrate`` (``claims.signals`` runs ``roles_ensure`` after every migration).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS

BILLING_STAFF = "Billing staff"
SUPERVISORS = "Supervisors"

# Every reference table the rules engine reads: staff look codes and edits up, nobody edits them by hand.
REFERENCE_VIEW = tuple(
    f"codes.view_{model}"
    for model in (
        "release",
        "procedurecode",
        "modifier",
        "placeofservice",
        "feescheduleindicator",
        "ptpedit",
        "muelimit",
        "addonedit",
        "asplimit",
        "ndccrosswalk",
    )
)

# Entering claims: billers add and change their own claims, add patients (a claim never changes a known
# patient's record: that is ``claims.change_patient``, a supervisor's action on the trail), and void their
# own claims that are not yet sent.
CLAIM_ENTRY = (
    "claims.view_claim",
    "claims.add_claim",
    "claims.change_claim",
    "claims.void_claim",
    "claims.check_claim",  # the batch check API, POST /api/claims/scrub/
    "claims.view_patient",
    "claims.add_patient",
    "claims.view_provider",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    BILLING_STAFF: (*REFERENCE_VIEW, *CLAIM_ENTRY),
    SUPERVISORS: (
        *REFERENCE_VIEW,
        *CLAIM_ENTRY,
        # Supervisors see every biller's claims, review the flagged and sampled ones (queue, dashboard), set the
        # sampling shares, correct a shared patient record, and export the audit trail.
        "claims.view_all_claims",
        "claims.review_claim",
        "claims.change_patient",
        "claims.view_reviewsettings",
        "claims.change_reviewsettings",
        "audit.export_trail",
        # Importing a CMS file records a release: supervisors keep the reference data current.
        "codes.add_release",
        # ... and the practice's list of providers the entry form offers.
        "claims.add_provider",
        "claims.change_provider",
        # Sending claims: export ready and approved claims as 837P files, see and download the files written.
        "edi.export_claims",
        "edi.view_interchange",
        "edi.view_clearinghouse",
        # Importing 837P files from the practice-management system (edi): claims, patients, payers and providers.
        "edi.import_claims",
    ),
}


# Grants an earlier release made that a role no longer has: taken back on the next ``migrate``.
ROLE_REVOKED: dict[str, tuple[str, ...]] = {
    BILLING_STAFF: ("claims.change_patient",),  # a claim no longer rewrites the shared patient record
}


def _permissions(names: tuple[str, ...], using: str) -> tuple[list[Permission], list[str]]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = list(
        Permission.objects.using(using)
        .filter(content_type__app_label__in={app for app, _ in wanted}, codename__in={c for _, c in wanted})
        .select_related("content_type")
    )
    found = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    have = {(p.content_type.app_label, p.codename) for p in found}
    missing = sorted(f"{app}.{codename}" for app, codename in wanted - have)
    return found, missing


def roles_ensure(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Create the role groups and grant their permissions; safe to run any number of times.

    Permissions are added (an administrator's extra grants stay), except those in ``ROLE_REVOKED``.
    Returns the permission names not found in the database (e.g. of an app whose migrations have not run
    yet).
    """
    missing_all: list[str] = []
    for name, permission_names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions, missing = _permissions(permission_names, using)
        group.permissions.add(*permissions)
        revoked, _ = _permissions(ROLE_REVOKED.get(name, ()), using)
        group.permissions.remove(*revoked)
        missing_all += missing
    return sorted(set(missing_all))
