from django.apps import AppConfig


class BillingSiteConfig(AppConfig):
    name = "billing_site"
    verbose_name = "ClaimDesk site"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
