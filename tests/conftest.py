"""Shared fixtures: the personas of the billing team and access to the real CMS files."""

from pathlib import Path

import pytest
from django.conf import settings

SHARED_DATA = Path(settings.SHARED_DATA_DIR)


def shared_file(relative: str) -> Path:
    """A real CMS file from ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real CMS file {relative} not available: ../shared/data is absent (a user's clone)")
    return path


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Personas get passwords; the production hasher's deliberate slowness (about 1 s each) is not under test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _two_factor_not_required(settings):
    """Tests sign users in with force_login (no six-digit code): two-factor sign-in is off unless a test turns
    it on (tests/accounts do). Production's default is on (CLAIMDESK_REQUIRE_2FA, on when DEBUG is off)."""
    settings.CLAIMDESK_REQUIRE_2FA = False


@pytest.fixture
def biller(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("biller", password="pw-biller-1")
    group, _ = Group.objects.get_or_create(name="Billing staff")
    user.groups.add(group)
    return user


@pytest.fixture
def supervisor(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("supervisor", password="pw-supervisor-1")
    group, _ = Group.objects.get_or_create(name="Supervisors")
    user.groups.add(group)
    return user


@pytest.fixture
def other_biller(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("biller2")  # no password: none is needed to log in in tests
    user.groups.add(Group.objects.get(name="Billing staff"))
    return user


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "pw-admin-1")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user("outsider", password="pw-outsider-1")


@pytest.fixture
def biller_client(client, biller):
    client.force_login(biller)
    return client


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def admin_client_logged(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session", autouse=True)
def _connections_closed_before_the_test_databases_are_dropped(django_db_setup, django_db_blocker):
    """Close every database connection the run opened, whatever context opened it, before the test
    databases are dropped: PostgreSQL refuses to drop a database another session still uses.

    Django keeps a connection per thread and per context (asgiref ``Local``); a connection opened in
    another context (Playwright's sync API runs tests in greenlets) is not the one the teardown closes."""
    yield
    import gc
    from contextlib import suppress

    from django.db import DatabaseError
    from django.db.backends.base.base import BaseDatabaseWrapper

    with django_db_blocker.unblock():
        # type(), not isinstance(): isinstance() asks a lazy object (django-csp's request.csp_nonce) to evaluate
        for wrapper in [item for item in gc.get_objects() if issubclass(type(item), BaseDatabaseWrapper)]:
            if wrapper.connection is not None:
                with suppress(DatabaseError):  # a connection of another thread: closed with its thread
                    wrapper.close()
