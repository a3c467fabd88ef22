"""Signal handlers of the claims app."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def roles_after_migrate(sender, *, using="default", verbosity=1, **kwargs):
    """After ``migrate``: make sure the role groups exist with their permissions (claims.roles)."""
    from .roles import ROLE_PERMISSIONS, roles_ensure

    # The permissions of the apps the roles refer to (audit, codes, claims, edi ...), even if their own post_migrate
    # has not run yet.
    labels = {name.split(".", 1)[0] for names in ROLE_PERMISSIONS.values() for name in names}
    for label in sorted(labels):
        if global_apps.is_installed(label):
            create_permissions(global_apps.get_app_config(label), verbosity=0, using=using)
    missing = roles_ensure(using=using)
    if missing and verbosity >= 1:
        print(f"Role permissions not found (yet): {', '.join(missing)}")
