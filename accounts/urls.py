from django.urls import include, path

from . import views

account_patterns = [
    path("password/", views.password_change, name="password_change"),
    path("two-factor/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/code/", views.two_factor_verify, name="two_factor_verify"),
    path("session/", views.session_status, name="session"),
]

urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("account/", include((account_patterns, "accounts"))),
]
