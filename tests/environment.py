"""The test run's environment, set before pytest-django reads the settings (``-p tests.environment`` in
pyproject.toml's addopts loads this module first, ahead of every plugin's set-up and every conftest).

Tests run with DEBUG off (Django forces it for tests anyway), so the settings need what production needs: a
strong secret key (a fresh random one per run), the host names the test client and the live server use, plain
static files (no ``collectstatic`` before a test run; tests/test_site.py proves the manifest storage on its own)
and no redirect to https (the test client and the live server speak plain http; the ``check --deploy`` test in
tests/test_security_headers.py runs with the production values). Values already in the environment win, except
``DJANGO_DEBUG``: the settings are always loaded as production loads them, whatever the shell exported.
"""

import atexit
import os
import secrets
import shutil
import tempfile

TEST_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "claimdesk-test-" + secrets.token_urlsafe(48),
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "DJANGO_PLAIN_STATIC": "1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
}

os.environ["DJANGO_DEBUG"] = "0"
if "CLAIMDESK_REFERENCE_INDEX_DIR" not in os.environ:
    # The reference indexes of a test run's databases, never those of the development database; gone at exit.
    _index_dir = tempfile.mkdtemp(prefix="claimdesk-test-index-")
    os.environ["CLAIMDESK_REFERENCE_INDEX_DIR"] = _index_dir
    atexit.register(shutil.rmtree, _index_dir, ignore_errors=True)
for _name, _value in TEST_ENVIRONMENT.items():
    os.environ.setdefault(_name, _value)
