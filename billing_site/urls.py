from django.contrib import admin
from django.urls import include, path, reverse
from django.views.generic import RedirectView


class HomeView(RedirectView):
    """Billers and supervisors start at their claims; anyone without claim access at the code look-up."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        if self.request.user.has_perm("claims.view_claim"):
            return reverse("claims:claim_list")
        return reverse("codes:code_list")


urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("accounts.urls")),  # login, logout, and account/: password, two-factor, session
    path("codes/", include("codes.urls")),
    path("audit/", include("audit.urls")),
    path("", include("claims.urls")),
    path("", include("batches.urls")),
    path("edi/", include("edi.urls")),
    path("", include("edi.import_urls")),  # 837P import: upload, imported files, results
    path("admin/", admin.site.urls),
]

admin.site.site_header = "ClaimDesk administration"
admin.site.site_title = "ClaimDesk admin"

# Error pages (DEBUG off): templates/400.html … for people, JSON under /api/.
handler400 = "billing_site.views.bad_request"
handler403 = "billing_site.views.permission_denied"
handler404 = "billing_site.views.page_not_found"
handler500 = "billing_site.views.server_error"
