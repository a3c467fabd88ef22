from django.apps import AppConfig


class EdiConfig(AppConfig):
    """X12 837P (claims) in and out; builds on claims (codes <- claims <- edi, never the reverse)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "edi"
    verbose_name = "Claims in and out (X12 837P)"

    def ready(self) -> None:
        from . import (
            background,  # noqa: F401  (registers the "export_837p" batch kind's chunk handler)
            imports,  # noqa: F401  (registers the "import_837" kind's chunk handler)
        )
