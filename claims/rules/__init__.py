"""The denial-risk rules engine: a registry of small rules over frozen claim inputs.

    from claims.rules import check_document, register, registry

Rule modules (one per category family) register their rules when imported; ``load_rule_modules``
imports them all once.
"""

from importlib import import_module

from .registry import CLAIM, LINE, Finding, Hit, register, registry

RULE_MODULES = (
    "coding",
    "formatting",
    "bundling",
    "units",
    "addons",
    "modifiers",
    "drugs",
    "payer",
    "demographic",
    "em",
    "global_surgery",
    "duplicates",
    "timely_filing",
    "authorization",
)

_loaded = False


def load_rule_modules() -> None:
    global _loaded
    if not _loaded:
        for name in RULE_MODULES:
            import_module(f"{__name__}.{name}")
        _loaded = True


def check_document(data, **kwargs):
    from .engine import check_document as run

    return run(data, **kwargs)


__all__ = ["CLAIM", "LINE", "Finding", "Hit", "check_document", "load_rule_modules", "register", "registry"]
