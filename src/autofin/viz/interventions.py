"""Live interventions: changes to a running model that apply from its next step on.

Mesa's sliders apply on reset only; these act on the model between two steps and are recorded
as `Intervention` marks, which the page draws on every time-series chart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from autofin.scenario.finance_schema import ReverseFactoringSpec
from autofin.world.firms import steps_of
from autofin.world.model import AutofinModel


class InterventionError(ValueError):
    """An intervention cannot apply to the running model; the message says why."""


@dataclass(frozen=True)
class Intervention:
    """A change made to the running model.

    Attributes:
        step: The first step it affects.
        day: Days since the start at the end of that step (the x of its mark on the charts).
        label: What changed, as shown on the mark.
        ends_day: The day of the first step it no longer affects (a demand shock's end),
            marked too once the run reaches it; None if it lasts.
    """

    step: int
    day: int
    label: str
    ends_day: int | None = None


def _next(model: AutofinModel, label: str) -> Intervention:
    step = model.step_index + 1
    return Intervention(step=step, day=step * model.spec.step_days, label=label)


def payment_term(model: AutofinModel, term_days: int, buyer_tier: int = 0) -> Intervention:
    """Buyers of ``buyer_tier`` (0 = automakers) pay new invoices in ``term_days``.

    Open invoices keep the term they were issued with, as with a scheduled policy.

    Raises:
        InterventionError: The tier does not exist, the term is longer than the model's
            trade books hold, or its buyers already pay in that many whole steps.
    """
    firms, step_days = model.firms, model.spec.step_days
    if not 0 <= buyer_tier < model.network.n_tiers:
        raise InterventionError(
            f"buyer tier {buyer_tier} has no suppliers: expected 0 to {model.network.n_tiers - 1}"
        )
    longest = longest_term_days(model)
    if not 0 <= term_days <= longest:
        raise InterventionError(
            f"payment term {term_days} days: expected 0 to {longest} days (the longest term "
            "this run's trade books hold)"
        )
    edges, steps = _term_edges(model, term_days, buyer_tier)
    who = "automakers" if buyer_tier == 0 else f"tier-{buyer_tier} buyers"
    if (firms.edge_term_steps[edges] == steps).all():
        raise InterventionError(
            f"{who} already pay in {steps * step_days} days ({steps} steps of {step_days} "
            f"days); {term_days} days would change nothing"
        )
    firms.edge_term_steps[edges] = steps
    return _next(model, f"{who} pay in {term_days} d{in_whole_steps(term_days, step_days)}")


def changes_term(model: AutofinModel, term_days: int, buyer_tier: int = 0) -> bool:
    """Whether a term of ``term_days`` changes what buyers of ``buyer_tier`` pay in.

    Terms are paid in whole steps: a term of the same steps as the one in force (168 days
    where 170 are in force, in weekly steps) changes nothing.
    """
    edges, steps = _term_edges(model, term_days, buyer_tier)
    return not (model.firms.edge_term_steps[edges] == steps).all()


def _term_edges(model: AutofinModel, term_days: int, buyer_tier: int) -> tuple[np.ndarray, int]:
    """The edges whose buyers are of ``buyer_tier`` (a mask), and ``term_days`` in steps."""
    firms = model.firms
    return firms.tier[firms.edge_customer] == buyer_tier, steps_of(term_days, model.spec.step_days)


def longest_term_days(model: AutofinModel) -> int:
    """The longest payment term, in whole days, that this run's trade books can hold.

    Terms are counted in whole steps, rounded (`steps_of`): the scenario's own 170 days are
    24 weekly steps, which the books hold, though 24 steps are 168 days.
    """
    step_days = model.spec.step_days
    most_steps = model.trade.edge_book.horizon - 1
    days = most_steps * step_days
    while steps_of(days + 1, step_days) <= most_steps:
        days += 1
    return days


def in_whole_steps(days: int, step_days: int) -> str:
    """What a term of ``days`` is in whole steps, as " (63 d in whole 7-day steps)".

    The model counts terms in steps (a 60-day term is paid after 9 weekly steps); "" when
    the term is a whole number of steps.
    """
    kept = steps_of(days, step_days) * step_days
    return "" if kept == days else f" ({kept} d in whole {step_days}-day steps)"


def sponsors_platform(model: AutofinModel) -> bool:
    """Whether the first automaker sponsors a reverse-factoring platform already."""
    return any(p.spec.sponsor == 0 for p in model.finance.platforms)


def platform_on(model: AutofinModel, spread: float, onboarded_share: float) -> Intervention:
    """Open the first automaker's reverse-factoring platform for tier 1, on every bank.

    Raises:
        InterventionError: The automaker already sponsors a platform, or a value is out of range.
    """
    if sponsors_platform(model):
        who = "the automaker" if model.network.n_automakers == 1 else "the first automaker"
        raise InterventionError(f"{who} already sponsors a platform")
    try:
        spec = ReverseFactoringSpec(
            sponsor=0,
            banks=list(range(model.banks.count)),
            tiers=[1],
            spread=spread,
            onboarded_share=onboarded_share,
            approval_days=14,
            limit_days=180,
        )
    except ValueError as error:
        raise InterventionError(f"platform settings: {error}") from None
    model.finance.add_platform(spec, model.firms, model.rng)
    return _next(model, f"platform on ({spread:.1%}, {onboarded_share:.0%} onboarded)")


def demand_shock(model: AutofinModel, factor: float, duration_days: int) -> Intervention:
    """Multiply consumer demand by ``factor`` for ``duration_days`` from the next step.

    Raises:
        InterventionError: The factor is negative or the duration not positive.
    """
    if factor < 0:
        raise InterventionError(f"demand factor {factor}: expected 0 or more")
    if duration_days <= 0:
        raise InterventionError(f"demand shock duration {duration_days} days: expected > 0")
    mark = _next(model, f"demand × {factor:g} for {duration_days} d")
    model.shocks.add_demand_shock(mark.day, mark.day + duration_days, factor)
    # The shock covers the steps whose day is before its end: the first step after it.
    step_days = model.spec.step_days
    return replace(mark, ends_day=-(-(mark.day + duration_days) // step_days) * step_days)


def force_default(model: AutofinModel, firm: int) -> Intervention:
    """Force ``firm`` into default at the next step.

    Raises:
        InterventionError: No such firm, it has already defaulted, or it is already forced
            into default at the next step.
    """
    firms = model.firms
    if not 0 <= firm < firms.n:
        raise InterventionError(f"firm {firm}: expected 0 to {firms.n - 1}")
    if not firms.active[firm]:
        raise InterventionError(f"firm {firm} has already defaulted")
    mark = _next(model, f"firm {firm} forced into default")
    if firm in model.shocks.target_of(mark.step):
        raise InterventionError(f"firm {firm} is already forced into default at step {mark.step}")
    model.shocks.force_default(mark.step, firm)
    return mark


def firm_number(text: str, firms: int) -> int:
    """The firm number typed in the page's box.

    Raises:
        InterventionError: The text is not a whole number.
    """
    try:
        return int(text.strip())
    except ValueError:
        raise InterventionError(
            f"firm {text.strip()!r}: expected a whole number from 0 to {firms - 1}"
        ) from None


def firm_sheet(model: AutofinModel, firm: int) -> dict[str, object]:
    """A firm's balance sheet, bank, standing and financing now (shown when a firm is clicked).

    Amounts of money are floats (in the scenario's currency); the other rows are text. A
    defaulted firm's sheet opens with its default (when and why), says whose its cash is,
    and leaves out what only a going concern has (a line, a score, arrears, customers).
    """
    firms = model.firms
    active = bool(firms.active[firm])
    sheet: dict[str, object] = {} if active else {"defaulted": _default_of(model, firm)}
    sheet.update(
        {
            "firm": firm,
            "name": model.network.labels[firm],
            "tier": "automaker" if firms.is_automaker[firm] else f"tier {int(firms.tier[firm])}",
            "state": "active" if active else "defaulted",
            "house bank": int(firms.house_bank[firm]),
            "cash": float(model.ledger.balance[firm]),
        }
    )
    if not active:
        sheet.update(_estate(model, firm))
    sheet.update(
        {
            "receivables": float(firms.receivables[firm]),
            "inventory value": float(firms.inventory_value()[firm]),
            "payables": float(firms.payables[firm]),
            "bank loans": float(firms.debt[firm]),
            "credit line": _credit_line(model, firm) if active else "closed at its default",
        }
    )
    if active:
        sheet.update(_standing(model, firm))
    for instrument in model.finance.instruments:
        sheet[f"owes {instrument.name.replace('_', ' ')}"] = float(instrument.owed(firms)[firm])
    if not active:
        return sheet
    if firms.is_automaker[firm]:  # it sells cars to consumers, paid at delivery
        sheet["customers"] = "consumers (cars paid at delivery, cash or a car loan)"
        return sheet
    # Its live edges: those to a customer that has defaulted wait to be re-sourced.
    selling = (firms.edge_supplier == firm) & firms.edge_live
    customers = np.unique(firms.edge_customer[selling])
    sheet["customers"] = ", ".join(str(c) for c in customers) or "none"
    terms = sorted({int(t) * model.spec.step_days for t in firms.edge_term_steps[selling]})
    sheet["payment term received (days)"] = ", ".join(str(t) for t in terms) or "none"
    return sheet


def _default_of(model: AutofinModel, firm: int) -> str:
    """When and why a defaulted firm defaulted, and the default that caused it, if one did.

    The reasons are the default events' (`autofin.world.defaults.DefaultEvent`), as
    `AutofinModel._settle` decides them.
    """
    event = next((e for e in reversed(model.chain.events) if e.firm == firm), None)
    if event is None:  # the log starts at day 0
        return "during the warm-up, before day 0"
    banks = model.spec.banks
    why = {
        "forced": "forced into default (a scheduled shock or a live intervention)",
        "illiquid": "illiquid: it could not pay what cannot wait (wages, fixed costs, the "
        "banks' supply-chain finance) or was in arrears past the "
        f"{banks.grace_days:g}-day grace period",
        "insolvent": f"insolvent: its equity was negative for over {banks.insolvency_days:g} days",
    }.get(event.reason, event.reason)
    said = f"at step {event.step} (day {event.step * model.spec.step_days}), {why}"
    if event.cause >= 0:
        said += f"; firm {event.cause}'s default had left it a bad debt"
    return said


def _estate(model: AutofinModel, firm: int) -> dict[str, object]:
    """Whose a defaulted firm's cash is: its banks' recoveries, paid when the workout ends."""
    due = [w.due_step for w in model.banks.workouts if (w.debtor == firm).any()]
    if not due:
        return {}
    return {
        "cash is": "owed to its banks (their recoveries from its estate), paid when the "
        f"workout ends at step {max(due)} (day {max(due) * model.spec.step_days})"
    }


def _standing(model: AutofinModel, firm: int) -> dict[str, object]:
    """What its banks see of a firm: leverage against its covenant, its score, its arrears.

    A line is not renewed when leverage passes the covenant or the score passes the cut-off
    (`Banks.review_lines`), and a firm still in arrears after the grace period defaults: the
    rows say how near the firm is to each.
    """
    firms, banks, spec = model.firms, model.banks, model.spec
    leverage = float(firms.leverage(model.ledger.balance[: firms.n])[firm])
    standing: dict[str, object] = {
        "equity": float(firms.equity[firm]),
        "leverage (covenant)": f"{leverage:z.1%} ({float(banks.line_covenant[firm]):.1%})",
    }
    scored = model.finance.round
    if scored is not None:
        cutoff = spec.banks.max_probability_of_default
        standing["scored PD (cut-off)"] = f"{float(scored.pd[firm]):.2%} ({cutoff:.0%})"
    late = int(firms.arrears_steps[firm])
    standing["in arrears"] = (
        f"{late * spec.step_days} days (grace {spec.banks.grace_days:g} days)" if late else "no"
    )
    return standing


def _credit_line(model: AutofinModel, firm: int) -> str:
    """The firm's committed line: limit and drawn, and each relationship bank's part of it."""
    banks = model.banks
    parts = []
    for k in range(banks.part_bank.shape[0]):
        role = "main" if k == 0 else "other"
        part = (
            f"bank {int(banks.part_bank[k, firm])} ({role}, {banks.part_share[k]:.0%}): "
            f"limit {banks.part_limit[k, firm]:z,.0f}, drawn {banks.part_drawn[k, firm]:z,.0f}"
        )
        parts.append(part + (", frozen" if banks.part_frozen[k, firm] else ""))
    if len(parts) == 1:
        return parts[0].split(": ", 1)[1]
    return "; ".join(parts)
