"""The admin: two-factor sign-in required for it (when the setting is on), unlocking sign-ins, and removing a
user's authenticator app, each on the audit trail."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.sites import AdminSite
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .selectors import two_factor_required


class ClaimDeskAdminSite(AdminSite):
    """The admin opens only to sessions verified with a six-digit code, for the users who must use one."""

    def has_permission(self, request):
        if not super().has_permission(request):
            return False
        if two_factor_required(request.user):
            is_verified = getattr(request.user, "is_verified", None)
            return bool(is_verified and is_verified())
        return True


class UnlockingAccessAttemptAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-ins, with the two ways an administrator lets someone sign in again."""

    actions = ["unlock_usernames", "unlock_addresses", "cleanup_expired_attempts"]

    @admin.action(description="Unlock the selected user names (forget their failed sign-ins)")
    def unlock_usernames(self, request, queryset):
        usernames = list(queryset.values_list("username", flat=True))
        count = services.sign_in_unlock(by=request.user, usernames=usernames)
        self.message_user(request, f"Unlocked {', '.join(sorted(set(filter(None, usernames))))} ({count} removed).")

    @admin.action(description="Unlock the selected addresses (forget their failed sign-ins)")
    def unlock_addresses(self, request, queryset):
        addresses = list(queryset.values_list("ip_address", flat=True))
        count = services.sign_in_unlock(by=request.user, ip_addresses=addresses)
        self.message_user(request, f"Unlocked {', '.join(sorted(set(filter(None, addresses))))} ({count} removed).")


class AuditedTOTPDeviceAdmin(TOTPDeviceAdmin):
    """Removing a user's authenticator app (a lost phone) is recorded; the user sets up a new one."""

    def delete_model(self, request, obj):
        services.authenticator_remove(device=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for device in queryset.select_related("user"):
            services.authenticator_remove(device=device, by=request.user)


for model, model_admin in ((AccessAttempt, UnlockingAccessAttemptAdmin), (TOTPDevice, AuditedTOTPDeviceAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
