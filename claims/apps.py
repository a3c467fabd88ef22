from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"
    verbose_name = "Claims"

    def ready(self):
        from .signals import roles_after_migrate

        post_migrate.connect(roles_after_migrate, sender=self, dispatch_uid="claims_roles_after_migrate")
