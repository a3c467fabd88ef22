"""The environment every benchmark runs the app with: production settings (debug off) on the loopback.

Benchmarks measure what production runs, so debug is off; the settings then need a secret key and the
allowed hosts, and plain HTTP on 127.0.0.1 needs the TLS redirect and secure-only cookies turned off.
``apply()`` turns debug off whatever the shell exported, and sets the rest where the caller's environment does
not already set them (child processes inherit it).
"""

from __future__ import annotations

import os

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "billing_site.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "claimdesk-bench-only-" + "k7Qx-9fRz" * 6,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_PLAIN_STATIC": "1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_COOKIES": "0",
    "CLAIMDESK_REQUIRE_2FA": "0",
    "CLAIMDESK_NO_PROGRESS": "1",
}


def apply() -> None:
    os.environ["DJANGO_DEBUG"] = "0"
    for name, value in BENCH_ENV.items():
        os.environ.setdefault(name, value)
