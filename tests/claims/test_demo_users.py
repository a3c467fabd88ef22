"""Role groups (claims.roles, created on migrate) and the create_demo_users command."""

from __future__ import annotations

import stat
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import override_settings

from claims.management.commands.create_demo_users import password_generate
from claims.roles import BILLING_STAFF, ROLE_PERMISSIONS, SUPERVISORS, roles_ensure

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def debug_on(settings):
    """The test runner turns DEBUG off; demo accounts are made on development machines, with it on."""
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def run(path: Path, *args: str) -> list[str]:
    out = StringIO()
    call_command("create_demo_users", "--file", str(path), *args, stdout=out)
    return out.getvalue().splitlines()


def passwords(lines: list[str]) -> dict[str, tuple[str, str]]:
    rows = [line.split(" / ") for line in lines if line.count(" / ") == 2]
    return {username: (password, role) for username, password, role in rows[1:]}


# --- roles ---------------------------------------------------------------------------------------
def test_migrate_created_the_groups_with_their_permissions():
    # The test database was built by migrate: the post_migrate hook has run.
    assert set(Group.objects.values_list("name", flat=True)) >= {BILLING_STAFF, SUPERVISORS}
    assert group_permissions(BILLING_STAFF) == set(ROLE_PERMISSIONS[BILLING_STAFF])
    assert group_permissions(SUPERVISORS) == set(ROLE_PERMISSIONS[SUPERVISORS])
    assert "codes.view_procedurecode" in group_permissions(BILLING_STAFF)
    assert "codes.add_release" in group_permissions(SUPERVISORS) - group_permissions(BILLING_STAFF)


def test_every_role_permission_exists():
    assert roles_ensure() == []


def test_roles_ensure_is_idempotent_and_keeps_extra_grants():
    Group.objects.all().delete()
    roles_ensure()
    extra = Group.objects.get(name=SUPERVISORS)
    from django.contrib.auth.models import Permission

    extra.permissions.add(Permission.objects.get(codename="change_user"))
    roles_ensure()
    roles_ensure()
    assert Group.objects.filter(name__in=[BILLING_STAFF, SUPERVISORS]).count() == 2
    assert group_permissions(BILLING_STAFF) == set(ROLE_PERMISSIONS[BILLING_STAFF])
    assert group_permissions(SUPERVISORS) == {*ROLE_PERMISSIONS[SUPERVISORS], "auth.change_user"}


def test_post_migrate_hook_recreates_missing_groups():
    Group.objects.all().delete()
    call_command("migrate", verbosity=0)
    assert group_permissions(BILLING_STAFF) == set(ROLE_PERMISSIONS[BILLING_STAFF])
    assert group_permissions(SUPERVISORS) == set(ROLE_PERMISSIONS[SUPERVISORS])


def test_biller_can_view_codes_but_not_import():
    user = User.objects.create_user("someone", password="x")
    user.groups.add(Group.objects.get(name=BILLING_STAFF))
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("codes.view_ptpedit")
    assert not user.has_perm("codes.add_release")
    assert not user.has_perm("codes.change_procedurecode")


# --- demo accounts -------------------------------------------------------------------------------
def test_demo_users_created_once_and_reused(tmp_path):
    path = tmp_path / "demo-accounts.txt"
    first = run(path)
    assert first[0] == "username / password / role"
    accounts = passwords(first)
    assert {name: role for name, (_, role) in accounts.items()} == {
        "biller": "Billing staff",
        "supervisor": "Supervisors",
        "admin": "superuser",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text()

    second = run(path)
    assert passwords(second) == accounts
    assert path.read_text() == content
    assert User.objects.count() == 3
    biller = User.objects.get(username="biller")
    supervisor = User.objects.get(username="supervisor")
    admin = User.objects.get(username="admin")
    assert list(biller.groups.values_list("name", flat=True)) == [BILLING_STAFF]
    assert list(supervisor.groups.values_list("name", flat=True)) == [SUPERVISORS]
    assert admin.is_superuser and admin.is_staff and not biller.is_superuser and not biller.is_staff
    assert not supervisor.is_superuser
    for user in (biller, supervisor, admin):
        assert user.check_password(accounts[user.username][0])
    assert Group.objects.filter(name__in=[BILLING_STAFF, SUPERVISORS]).count() == 2


def test_passwords_are_strong_and_distinct(tmp_path):
    accounts = passwords(run(tmp_path / "accounts.txt"))
    values = [password for password, _ in accounts.values()]
    assert len(set(values)) == 3
    for value in values:
        assert len(value) >= 20 and value.isalnum()
        assert any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value)
    assert password_generate() != password_generate()


def test_a_lost_file_resets_the_passwords(tmp_path):
    path = tmp_path / "accounts.txt"
    old = passwords(run(path))
    path.unlink()
    new = passwords(run(path))
    assert User.objects.count() == 3
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    for username, (password, _) in new.items():
        user = User.objects.get(username=username)
        assert password != old[username][0]
        assert user.check_password(password) and not user.check_password(old[username][0])


def test_a_changed_password_is_set_back_to_the_stored_one(tmp_path):
    path = tmp_path / "accounts.txt"
    stored = passwords(run(path))
    biller = User.objects.get(username="biller")
    biller.set_password("something-else-42")
    biller.save()
    assert passwords(run(path)) == stored
    assert User.objects.get(username="biller").check_password(stored["biller"][0])


def test_existing_accounts_are_completed_not_duplicated(tmp_path):
    User.objects.create_user("biller", password="old-password-1")
    run(tmp_path / "accounts.txt")
    assert User.objects.filter(username="biller").count() == 1
    assert User.objects.get(username="biller").groups.filter(name=BILLING_STAFF).exists()


def test_default_file_is_under_var(tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        call_command("create_demo_users", stdout=StringIO())
    assert stat.S_IMODE((tmp_path / "demo-accounts.txt").stat().st_mode) == 0o600


def test_refuses_without_debug_unless_forced(tmp_path):
    path = tmp_path / "accounts.txt"
    with override_settings(DEBUG=False):
        with pytest.raises(CommandError, match="DEBUG is off"):
            run(path)
        assert not User.objects.exists() and not path.exists()
        run(path, "--force")
    assert User.objects.count() == 3
