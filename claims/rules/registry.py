"""The rule registry, modelled on ``django.core.checks``: rules register themselves with a decorator.

A rule is a small pure function with a catalogue ID (``PTP-MI0``), a category, a severity, a scope,
the denial codes a payer would likely return, and the public source it rests on (its docstring says
what it detects). Line rules are called once per line: ``rule(ctx, line)``; claim rules once per
claim: ``rule(ctx)``. Both yield ``Hit`` objects; the engine stamps each into a ``Finding``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..choices import Category, Severity

LINE = "line"
CLAIM = "claim"


# Hits and findings are not frozen dataclasses: a batch makes several per claim, and a frozen dataclass takes
# three times as long to build. Nothing changes one once made, so they hash by their fields as before.
@dataclass(slots=True, unsafe_hash=True)
class Hit:
    """What a rule found. ``line`` is set by claim-scope rules that point at a line."""

    message: str
    hint: str
    line: int | None = None
    severity: str | None = None  # overrides the rule's severity (e.g. COD-MPFS-STATUS: I is ERROR, N WARNING)
    carc: str | None = None
    rarc: str | None = None
    data_release: str = ""
    related_lines: tuple[int, ...] = ()  # the other line(s) of a pair, for precedence (§0.6)


@dataclass(slots=True, unsafe_hash=True)
class Finding:
    line: int | None
    rule: str
    category: str
    severity: str
    message: str
    hint: str
    carc: str
    rarc: str
    source: str
    data_release: str
    related_lines: tuple[int, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "carc": self.carc,
            "rarc": self.rarc,
            "source": self.source,
            "data_release": self.data_release,
        }


@dataclass(frozen=True, slots=True)
class NotChecked:
    """A check that did not run on a claim, and why ("CPT code validity: no CPT code set loaded").

    ``lines`` are the claim's lines it did not run on; empty for a claim-level check (a whole
    table missing). Rules report one with ``ClaimContext.not_checked``; the engine adds one per
    missing table. A category appears in the output's ``unchecked`` list when any of its checks
    did not run.
    """

    category: str
    check: str
    reason: str
    lines: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        where = ""
        if self.lines:
            where = f" (line{'s' if len(self.lines) > 1 else ''} {', '.join(map(str, self.lines))})"
        return f"{self.check}{where}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "check": self.check,
            "reason": self.reason,
            "lines": list(self.lines) or None,
        }


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: str
    scope: str
    title: str
    function: Callable[..., Iterable[Hit]]
    carc: str = ""
    rarc: str = ""
    source: str = ""
    payers: tuple[str, ...] = ()  # payer types the rule applies to; empty = all
    needs: tuple[str, ...] = ()  # reference tables (ReferenceData.TABLES) without which it cannot run
    order: int = 100  # lower runs first; COD-EFFECTIVE runs before everything
    # Cheap pre-filters for line rules: False when the rule cannot fire on a line. ``code_when(ref,
    # code)`` reads only the code and the batch's reference data: asked once per code for the whole
    # batch. ``when(ref, line)`` may read only line.code, line.modifier_set and line.pos, and the
    # reference data: asked once per (code, modifiers, place of service). A rule may have both.
    code_when: Callable[[Any, str], bool] | None = None
    when: Callable[[Any, Any], bool] | None = None
    # A cheap pre-filter for line rules, once per claim: False when the rule cannot fire on any line
    # of the claim (e.g. no history, no prior-authorization list). Called with the claim context
    # after COD-EFFECTIVE has run (``ctx.active_lines`` is final).
    claim_when: Callable[[Any], bool] | None = None

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or "")

    def applies_to(self, payer_type: str) -> bool:
        return not self.payers or payer_type in self.payers

    def stamp(self, hit: Hit, line: int | None) -> Finding:
        return Finding(
            line=line,
            rule=self.id,
            category=self.category,
            severity=hit.severity or self.severity,
            message=hit.message,
            hint=hit.hint,
            carc=hit.carc if hit.carc is not None else self.carc,
            rarc=hit.rarc if hit.rarc is not None else self.rarc,
            source=self.source,
            data_release=hit.data_release,
            related_lines=hit.related_lines,
        )


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(
        self,
        *,
        id: str,  # noqa: A002 - the catalogue calls it the rule ID
        category: Category | str,
        severity: Severity | str,
        title: str,
        scope: str = LINE,
        carc: str = "",
        rarc: str = "",
        source: str = "",
        payers: Iterable[str] = (),
        needs: Iterable[str] = (),
        order: int = 100,
        code_when: Callable[[Any, str], bool] | None = None,
        when: Callable[[Any, Any], bool] | None = None,
        claim_when: Callable[[Any], bool] | None = None,
    ) -> Callable[[Callable[..., Iterable[Hit]]], Callable[..., Iterable[Hit]]]:
        if scope not in (LINE, CLAIM):
            raise ValueError(f"{id}: scope must be 'line' or 'claim'")
        Category(category)
        Severity(severity)

        def decorator(function: Callable[..., Iterable[Hit]]) -> Callable[..., Iterable[Hit]]:
            if id in self._rules:
                raise ValueError(f"rule {id} is registered twice")
            self._rules[id] = Rule(
                id=id,
                category=str(category),
                severity=str(severity),
                scope=scope,
                title=title,
                function=function,
                carc=carc,
                rarc=rarc,
                source=source,
                payers=tuple(payers),
                needs=tuple(needs),
                order=order,
                code_when=code_when,
                when=when,
                claim_when=claim_when,
            )
            function.rule_id = id  # type: ignore[attr-defined]
            return function

        return decorator

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def all(self) -> list[Rule]:
        return sorted(self._rules.values(), key=lambda rule: (rule.order, rule.id))

    def __contains__(self, rule_id: str) -> bool:
        return rule_id in self._rules

    def __len__(self) -> int:
        return len(self._rules)


registry = RuleRegistry()
register = registry.register
