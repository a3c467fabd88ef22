"""The supervisors' review queue and review page (being written)."""

from django.http import HttpResponse
from django.views.generic import View


class ReviewQueueView(View):
    def get(self, request):
        return HttpResponse("")


class ReviewDetailView(View):
    def get(self, request, pk):
        return HttpResponse("")


def review_assign_view(request):
    return HttpResponse("")


def review_decide_view(request, pk):
    return HttpResponse("")
