"""Pages of the claims app. The rule catalogue is read from the rule registry itself, so it cannot drift."""

from __future__ import annotations

from collections import Counter

from django.shortcuts import render

from .choices import Category, PayerType
from .rules import load_rule_modules, registry

TABLE_NAMES = {
    "codes": "HCPCS / CPT code set",
    "ptp": "NCCI PTP edits (practitioner)",
    "mue": "MUE limits (practitioner)",
    "aoc": "Add-on code edits",
    "fee_schedule": "Physician fee schedule indicators",
    "pos": "Place-of-service codes",
    "ndc_crosswalk": "NDC-HCPCS crosswalk",
}


def rule_list(request):
    """Every registered rule: what it checks, for which payers, the denial codes it predicts, its source."""
    load_rule_modules()
    rules = registry.all()
    counts = Counter(rule.category for rule in rules)
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    category_order = {value: index for index, value in enumerate(Category.values)}
    shown = sorted(
        (rule for rule in rules if not category or rule.category == category),
        key=lambda rule: (category_order.get(rule.category, 99), rule.order, rule.id),
    )
    payer_labels = dict(PayerType.choices)
    rows = [
        {
            "rule": rule,
            "category_label": Category(rule.category).label,
            "payers": ", ".join(str(payer_labels.get(p, p)) for p in rule.payers) or "All payers",
            "needs": [TABLE_NAMES.get(table, table) for table in rule.needs],
            "doc": rule.doc,
        }
        for rule in shown
    ]
    categories = [(value, label, counts[value]) for value, label in Category.choices if counts[value]]
    context = {
        "rows": rows,
        "categories": categories,
        "category": category,
        "category_label": Category(category).label if category else "",
        "total": len(rules),
    }
    return render(request, "claims/rule_list.html", context)


# --- claim list and detail (being built) -----------------------------------------------------------------
from django.views.generic import DetailView, ListView  # noqa: E402

from .models import Claim  # noqa: E402


class ClaimListView(ListView):
    model = Claim
    template_name = "claims/claim_list.html"


class ClaimDetailView(DetailView):
    model = Claim
    template_name = "claims/claim_detail.html"
