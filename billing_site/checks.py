"""System checks for ClaimDesk's own settings (run by `manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.SECRET_KEY == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return [
            Error(
                "SECRET_KEY is ClaimDesk's public development key.",
                hint="Set DJANGO_SECRET_KEY to a long random value and DJANGO_DEBUG=0 in production.",
                id="claimdesk.E001",
            )
        ]
    return []
