"""Site-wide behaviour: login everywhere, offline assets, settings."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

ROOT = Path(settings.BASE_DIR)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/codes/", "/codes/99213/"])
def test_pages_need_a_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_open_and_logs_in(client, biller):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b"Log in to ClaimDesk" in page.content
    response = client.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    assert response.status_code == 302
    assert client.get("/codes/").status_code == 200


@pytest.mark.django_db
def test_wrong_password_says_so_and_keeps_the_username(client, biller):
    response = client.post(reverse("login"), {"username": "biller", "password": "wrong"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="biller"' in response.content


def test_templates_load_nothing_from_the_network():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r'(?:src|href)="(https?:)?//', text):
            offenders.append(f"{template.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []


def test_vendored_assets_are_present():
    for asset in [
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/bootstrap/bootstrap.bundle.min.js",
        "vendor/htmx/htmx.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    ]:
        assert (ROOT / "static" / asset).stat().st_size > 1000, asset


def test_sqlite_is_the_default_database(monkeypatch):
    import importlib

    import billing_site.settings as site_settings

    monkeypatch.delenv("DATABASE_URL", raising=False)
    reloaded = importlib.reload(site_settings)
    try:
        assert reloaded.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
        assert str(reloaded.DATABASES["default"]["NAME"]).endswith("var/db.sqlite3")
    finally:
        monkeypatch.undo()
        importlib.reload(site_settings)


def test_secret_key_is_required_without_debug(monkeypatch, settings):
    import importlib

    import billing_site.settings as site_settings
    from billing_site.checks import check_settings_may_serve

    monkeypatch.setenv("DJANGO_DEBUG", "0")
    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    settings.SETTINGS_PROBLEMS = importlib.reload(site_settings).SETTINGS_PROBLEMS
    monkeypatch.undo()
    importlib.reload(site_settings)
    warnings = check_settings_may_serve(None)
    assert [warning.id for warning in warnings] == ["claimdesk.W009"]
    assert "DJANGO_SECRET_KEY" in warnings[0].msg


def test_deploy_check_rejects_the_development_secret_key(settings):
    from billing_site.checks import check_secret_key_is_not_the_development_key

    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    [error] = check_secret_key_is_not_the_development_key(None)
    assert error.id == "claimdesk.E001"
    settings.SECRET_KEY = "a-real-production-secret-" + "x" * 40
    assert check_secret_key_is_not_the_development_key(None) == []


@pytest.mark.django_db
def test_collectstatic_with_the_production_manifest_storage_works(tmp_path, settings, client, supervisor):
    """``collectstatic`` with debug off's storage (WhiteNoise's compressed manifest) succeeds on the repository's
    own static files (no vendored file may point at a file that is not there, e.g. a source map), and the
    pages then name the hashed files."""
    from io import StringIO

    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    # (changing STORAGES makes Django build the static files storage again: django.test.signals)
    call_command("collectstatic", "--noinput", stdout=StringIO())
    assert (tmp_path / "staticfiles.json").is_file()
    client.force_login(supervisor)
    html = client.get(reverse("claims:dashboard")).content.decode()
    assert re.search(r"/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]{12}\.css", html)
    assert re.search(r"/static/vendor/chartjs/chart\.umd\.min\.[0-9a-f]{12}\.js", html)
