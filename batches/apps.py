from django.apps import AppConfig


class BatchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "batches"
    verbose_name = "Background batches"

    def ready(self) -> None:
        from . import checking  # noqa: F401  (registers the "check" kind's chunk handler)
