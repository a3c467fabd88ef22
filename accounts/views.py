"""Sign-in pages: log in and out, the six-digit code, setting up an authenticator app, changing the
password, the session check behind the idle warning, and the page a locked-out sign-in gets."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from . import services
from .forms import ChangePasswordForm, SixDigitCodeForm
from .qr import qr_svg_data_uri
from .selectors import authenticator_of, two_factor_required, two_factor_step

BOTH_STEPS = ("verify", "setup")


def two_factor_allows(*steps: str):
    """Mark a view as open to a user who still owes the given two-factor steps (see TwoFactorMiddleware)."""

    def mark(view):
        view.two_factor_allows = tuple(steps)
        return view

    return mark


login = two_factor_allows(*BOTH_STEPS)(auth_views.LoginView.as_view())
logout = two_factor_allows(*BOTH_STEPS)(auth_views.LogoutView.as_view())


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in (AXES_LOCKOUT_CALLABLE): the login page, saying why, until
    when, and whom to ask; HTTP 429. The typed password is not shown again."""
    cool_off = get_cool_off(request)
    unlocks_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", ""),
        "locked": True,
        "unlocks_at": unlocks_at,
        "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "unlock_contact": settings.CLAIMDESK_UNLOCK_CONTACT,
    }
    return render(request, "registration/login.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def _next_param(request) -> str:
    return request.POST.get("next") or request.GET.get("next") or ""


def _next_url(request, default: str = "home") -> str:
    wanted = _next_param(request)
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return resolve_url(default)


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class TwoFactorVerifyView(FormView):
    """After the password: the six-digit code from the user's authenticator app."""

    template_name = "accounts/two_factor_verify.html"
    form_class = SixDigitCodeForm

    def dispatch(self, request, *args, **kwargs):
        if two_factor_step(request.user) != "verify":
            return redirect(_next_url(request))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=_next_param(self.request), **kwargs)

    def form_valid(self, form):
        try:
            device = services.authenticator_verify(user=self.request.user, token=form.cleaned_data["code"])
        except services.TwoFactorError as error:
            form.add_error("code", str(error))
            return self.form_invalid(form)
        otp_login(self.request, device)
        return redirect(_next_url(self.request))


two_factor_verify = two_factor_allows("verify")(TwoFactorVerifyView.as_view())


@method_decorator([never_cache, sensitive_post_parameters("code")], name="dispatch")
class TwoFactorSetupView(FormView):
    """Set up an authenticator app: scan the QR code (or type the key), then confirm with a first code."""

    template_name = "accounts/two_factor_setup.html"
    form_class = SixDigitCodeForm

    def _key(self) -> str:
        session = self.request.session
        if not session.get(services.SETUP_KEY):
            session[services.SETUP_KEY] = random_hex(20)
        return session[services.SETUP_KEY]

    def get_context_data(self, **kwargs):
        key = self._key()
        device = TOTPDevice(user=self.request.user, name=services.AUTHENTICATOR_NAME, key=key)
        secret = b32encode(unhexlify(key)).decode("ascii")
        return super().get_context_data(
            qr_data_uri=qr_svg_data_uri(device.config_url),
            secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
            existing=authenticator_of(self.request.user),
            required=two_factor_required(self.request.user),
            next=_next_param(self.request),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            device = services.authenticator_confirm(
                user=self.request.user, key=self._key(), token=form.cleaned_data["code"]
            )
        except services.TwoFactorError as error:
            form.add_error("code", str(error))
            return self.form_invalid(form)
        self.request.session.pop(services.SETUP_KEY, None)
        otp_login(self.request, device)
        messages.success(
            self.request,
            "Your authenticator app is set up. From now on ClaimDesk asks for a six-digit code after your password.",
        )
        return redirect(_next_url(self.request))


two_factor_setup = two_factor_allows("setup")(TwoFactorSetupView.as_view())


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every signed-in user changes their own password here; they stay signed in."""

    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        services.password_change(user=form.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        messages.success(self.request, "Your password was changed.")
        return redirect(self.get_success_url())


password_change = PasswordChangeView.as_view()


@method_decorator(never_cache, name="dispatch")
class SessionView(View):
    """The page's session check: GET says how long until the idle sign-out (with the background header it does
    not count as activity); POST ("Stay signed in") counts as activity, so the idle clock starts again."""

    def get(self, request):
        return JsonResponse({"seconds_left": services.session_idle_seconds_left(session=request.session)})

    def post(self, request):
        services.session_touch(session=request.session, at_once=True)
        return self.get(request)


session_status = two_factor_allows(*BOTH_STEPS)(SessionView.as_view())
