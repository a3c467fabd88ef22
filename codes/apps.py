from django.apps import AppConfig
from django.db.models.signals import post_delete


class CodesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "codes"
    verbose_name = "Reference codes and CMS edits"

    def ready(self) -> None:
        from .models import Release

        post_delete.connect(_release_deleted, sender=Release, dispatch_uid="codes.release_deleted_index")


def _release_deleted(sender, instance, using, **kwargs) -> None:
    """A deleted release takes its PTP index with it."""
    from . import ptp_index

    ptp_index.remove(instance.pk, using)
