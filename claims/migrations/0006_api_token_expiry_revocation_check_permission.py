"""API tokens expire and can be revoked; the batch check API gets its own permission, ``claims.check_claim``.

Tokens issued before this migration had no expiry: each gets one ``CLAIMDESK_API_TOKEN_DAYS`` (default 90)
from the moment of the migration, so no token lasts for ever and no client is cut off without warning.
The role groups receive ``check_claim`` from ``claims.roles`` on ``migrate`` (post_migrate), as every grant.
"""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

import claims.models


def expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("claims", "ApiToken")
    expiry = timezone.now() + timedelta(days=claims.models.api_token_days())
    ApiToken.objects.using(schema_editor.connection.alias).filter(expires_at__isnull=True).update(expires_at=expiry)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0005_review_snapshots_audit"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="claim",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("view_all_claims", "Can see every biller's claims"),
                    ("review_claim", "Can review claims: the review queue, decisions, the dashboard"),
                    ("void_claim", "Can void a claim (claims are never deleted)"),
                    ("check_claim", "Can check claims"),
                ],
            },
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(
                default=claims.models.api_token_default_expiry,
                help_text="After this the token is refused (default: 90 days from issue, CLAIMDESK_API_TOKEN_DAYS).",
                verbose_name="expires",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="revoked"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="revoked_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
