"""The supervisors' dashboard (being written)."""

from django.http import HttpResponse
from django.views.generic import View


class DashboardView(View):
    def get(self, request):
        return HttpResponse("")


def dashboard_csv(request):
    return HttpResponse("")
