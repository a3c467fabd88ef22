"""Every URL of the site, with sample arguments, for the crawls (tests/test_anonymous_crawl.py,
tests/test_security_headers.py).

The list is read from the URLconf itself, named patterns and unnamed ones (the admin's catch-all …), so a URL
added tomorrow is crawled without anyone listing it. Path arguments get sample values by name: a claim's
``pk`` is a real claim (so a page that leaked it would show its patient), a code is one that exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve

# The patient of the crawled claim: none of this may appear in an answer to an anonymous visitor.
PATIENT = {"last_name": "Crawlington", "first_name": "Zebedee", "member_id": "ZQX9CRAWL77"}


@dataclass(frozen=True)
class SiteUrl:
    name: str  # "claims:claim_detail"; unnamed patterns: "(unnamed) <route>"
    path: str  # a concrete path, "/claims/12/"
    public: bool  # the view is marked login_not_required (open without signing in)

    def __str__(self) -> str:
        return f"{self.name} {self.path}"


def _walk(resolver, namespace: str = "", route: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, inner, route + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"(unnamed) {route}{entry.pattern}"
            yield name, route + str(entry.pattern), entry.callback


def _fill(route: str, samples: dict[str, str]) -> str:
    """A concrete path for a route (``<int:pk>``) or regex (``(?P<app_label>…)``), anchors dropped."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda match: samples[match.group(1)], route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: samples[match.group(1)], route)
    return "/" + route.replace("^", "").replace("$", "")


def site_urls(*, claim_pk: int, code: str = "99213", object_id: str = "1") -> list[SiteUrl]:
    samples = {
        "pk": str(claim_pk),
        "code": code,
        "object_id": object_id,
        "result_pk": object_id,  # batches: a claim result of a batch
        "id": object_id,
        "content_type_id": "1",
        "app_label": "claims",
        "url": "no-such-admin-page/",
    }
    urls = []
    for name, route, callback in _walk(get_resolver()):
        path = _fill(route, samples)
        assert resolve(path).func is callback, f"{name}: {path} resolves to another view"
        urls.append(SiteUrl(name, path, public=getattr(callback, "login_required", True) is False))
    return urls
