from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="codes:code_list", permanent=False), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("codes/", include("codes.urls")),
    path("", include("claims.urls")),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "ClaimDesk administration"
admin.site.site_title = "ClaimDesk admin"
