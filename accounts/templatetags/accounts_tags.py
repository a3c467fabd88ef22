from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def session_timeout_meta(context):
    """The timings static/js/session-timeout.js needs, as data attributes of a <meta> (no inline script)."""
    user = getattr(context.get("request"), "user", None)  # none on an error page answered before sign-in ran
    if user is None or not user.is_authenticated:
        return ""
    return format_html(
        '<meta name="claimdesk-session" content="signed-in" data-idle-seconds="{}" data-warning-seconds="{}" '
        'data-session-url="{}" data-login-url="{}" data-csrf-token="{}">',
        int(settings.CLAIMDESK_SESSION_IDLE_MINUTES * 60),
        int(settings.CLAIMDESK_SESSION_WARNING_SECONDS),
        reverse("accounts:session"),
        reverse("login"),
        context.get("csrf_token", ""),
    )
