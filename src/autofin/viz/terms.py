"""The terms researchers vary from the page's sliders and switches (applied on reset).

`Terms.of` reads them from a scenario; picking a scenario on the page sets every slider to its
terms, and `Terms.apply` writes into the scenario only the terms the user moved since, so every
slider left alone keeps the scenario's own setting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from autofin.scenario.schema import Scenario

PLATFORM_KEYS = ("platform", "platform_spread", "platform_onboarded_share")
PLATFORM_SWITCHES = ("platform", "compare_platform")
"""The page's switches of a reverse-factoring platform: the run's, and the second copy's (side
by side). The platform's spread and onboarded share take effect where either is on."""
PERCENT_SLIDERS = {
    "platform_spread": "platform_spread_percent",
    "platform_onboarded_share": "platform_onboarded_percent",
    "bank_cutoff_pd": "bank_cutoff_pd_percent",
    "bank_capital_ratio": "bank_capital_ratio_percent",
}
"""The terms that are fractions in a scenario and percent on the page, and their sliders' keys
(the panels show rates and ratios in percent; a capital ratio of 0.12 beside 11.7% misled)."""
NEW_PLATFORM = {"sponsor": 0, "tiers": [1], "approval_days": 14, "limit_days": 180}
"""A platform switched on from the page: the first automaker's, for tier 1, on every bank."""


@dataclass(frozen=True)
class Terms:
    """The financing terms on the page's sliders and switches.

    Attributes:
        automaker_term_days: Payment term the automakers give their tier-1 suppliers.
        platform: Whether the first automaker runs a reverse-factoring platform.
        platform_spread: The platform's annual spread.
        platform_onboarded_share: Share of tier-1 suppliers onboarded on the platform.
        factoring: Whether suppliers can factor their invoices.
        order_financing: Whether suppliers can borrow against confirmed orders.
        bank_cutoff_pd: Scored probability of default above which banks decline.
        bank_capital_ratio: The banks' opening capital ratio.
        approval_parallel: Whether the car-loan checks run in parallel (automated approval).
        reviewers: Manual reviewers per bank.
        bank_app_traffic: Offers per month shown by the bank-app partnership (0 = none).
    """

    automaker_term_days: int
    platform: bool
    platform_spread: float
    platform_onboarded_share: float
    factoring: bool
    order_financing: bool
    bank_cutoff_pd: float
    bank_capital_ratio: float
    approval_parallel: bool
    reviewers: int
    bank_app_traffic: int

    @classmethod
    def of(cls, scenario: Scenario) -> Terms:
        """The terms a scenario sets."""
        term = scenario.automakers.payment_term_days
        platforms = scenario.finance.reverse_factoring
        consumers = scenario.consumers
        return cls(
            automaker_term_days=int(term[0] if isinstance(term, list) else term),
            platform=bool(platforms),
            platform_spread=float(platforms[0].spread) if platforms else 0.005,
            platform_onboarded_share=float(platforms[0].onboarded_share) if platforms else 1.0,
            factoring=scenario.finance.factoring is not None,
            order_financing=scenario.finance.order_financing is not None,
            bank_cutoff_pd=float(scenario.banks.max_probability_of_default),
            bank_capital_ratio=float(scenario.banks.capital_ratio),
            approval_parallel=bool(consumers.approval.parallel),
            reviewers=int(consumers.approval.reviewers),
            bank_app_traffic=int(consumers.channels.bank_app.monthly_traffic),
        )

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Terms:
        """The terms among the page's model parameters."""
        return cls(**{f.name: params[f.name] for f in fields(cls)})

    def page_values(self) -> dict[str, Any]:
        """The terms as the page's sliders hold them: rates and ratios in percent."""
        return {
            PERCENT_SLIDERS.get(name, name): percent(value) if name in PERCENT_SLIDERS else value
            for name, value in asdict(self).items()
        }

    def changed_from(self, opening: Terms) -> set[str]:
        """Names of the terms that differ from ``opening``."""
        mine, theirs = asdict(self), asdict(opening)
        return {name for name in mine if mine[name] != theirs[name]}

    def apply(self, scenario: Scenario, names: set[str], rename: str | None = None) -> Scenario:
        """``scenario`` with the named terms set to this object's values.

        Args:
            scenario: The scenario to change.
            names: Terms to set (the others keep the scenario's values).
            rename: A new scenario name (legends tell runs apart by it).
        """
        if not names and rename is None:
            return scenario
        data = scenario.model_dump(mode="json")
        if rename is not None:
            data["name"] = rename
        finance, banks = data["finance"], data["banks"]
        approval = data["consumers"]["approval"]
        if "automaker_term_days" in names:
            data["automakers"]["payment_term_days"] = self.automaker_term_days
        if names & set(PLATFORM_KEYS):
            finance["reverse_factoring"] = self._platforms(finance, banks["count"])
        if "factoring" in names:
            finance["factoring"] = {} if self.factoring else None
            _prefer(finance, "factoring", self.factoring)
        if "order_financing" in names:
            finance["order_financing"] = {} if self.order_financing else None
        if "bank_cutoff_pd" in names:
            banks["max_probability_of_default"] = self.bank_cutoff_pd
        if "bank_capital_ratio" in names:
            banks["capital_ratio"] = self.bank_capital_ratio
            banks["capital"] = None
        if "approval_parallel" in names:
            approval["parallel"] = self.approval_parallel
        if "reviewers" in names:
            approval["reviewers"] = self.reviewers
        if "bank_app_traffic" in names:
            data["consumers"]["channels"]["bank_app"]["monthly_traffic"] = self.bank_app_traffic
        return Scenario.model_validate(data)

    def _platforms(self, finance: dict[str, Any], n_banks: int) -> list[dict[str, Any]]:
        _prefer(finance, "reverse_factoring", self.platform)
        if not self.platform:
            return []
        platforms = finance["reverse_factoring"] or [
            {**NEW_PLATFORM, "banks": list(range(n_banks))}
        ]
        platforms[0] = {
            **platforms[0],
            "spread": self.platform_spread,
            "onboarded_share": self.platform_onboarded_share,
        }
        return platforms


def moved_terms_text(terms: Terms, moved: set[str]) -> str:
    """The moved terms the clock's first lines do not name, as "bank cut-off PD 12%, ...".

    The automaker's payment term and the instruments switched on are named there already;
    "" when no other term was moved from the scenario's own.
    """
    said = {
        "platform_spread": f"platform spread {percent(terms.platform_spread):g}% a year",
        "platform_onboarded_share": (
            f"platform onboards {percent(terms.platform_onboarded_share):g}% of tier 1"
        ),
        "bank_cutoff_pd": f"bank cut-off PD {percent(terms.bank_cutoff_pd):g}%",
        "bank_capital_ratio": f"bank capital ratio {percent(terms.bank_capital_ratio):g}%",
        "approval_parallel": "car-loan checks "
        + ("in parallel" if terms.approval_parallel else "one after another"),
        "reviewers": f"{terms.reviewers} manual reviewers per bank",
        "bank_app_traffic": f"bank-app offers {terms.bank_app_traffic:,} a month",
    }
    return ", ".join(text for name, text in said.items() if name in moved)


def percent(fraction: float) -> float:
    """A fraction as a slider's percent (rounded, so 0.07 shows as 7, not 7.000000000000001)."""
    return round(100 * fraction, 6)


def fraction(percent: float) -> float:
    """A slider's percent as the scenario's fraction (rounded, so that 7 gives back 0.07)."""
    return round(percent / 100, 8)


def _prefer(finance: dict[str, Any], instrument: str, on: bool) -> None:
    """Put a switched-on instrument first in the preference order if it is missing."""
    if on and instrument not in finance["preference"]:
        finance["preference"].insert(0, instrument)


PLEDGE_TERM_DAYS = 60
"""The second copy's term by default: the 60-day pledge (`scenarios/pledge_60_days.yaml`)."""

LONG_TERM_DAYS = 170
"""The second copy's term by default when the scenario already pays in 60 days: the
baseline's 170."""


def contrast_term(terms: Terms) -> int:
    """The second copy's payment term by default: one the picked scenario does not pay in.

    The 60-day pledge, or the baseline's 170 days for a scenario whose automakers already pay
    in 60 (side by side, a copy on the same term would only repeat the run).
    """
    if terms.automaker_term_days == PLEDGE_TERM_DAYS:
        return LONG_TERM_DAYS
    return PLEDGE_TERM_DAYS


def model_params(
    terms: Terms,
    seed: int,
    catalog_names: list[str],
    picked: str,
    about: dict[str, tuple[str, str, str]] | None = None,
) -> dict:
    """Mesa `model_params` for the page: the scenario picker, the seed and every term.

    Rates and ratios are in percent, under the keys of `PERCENT_SLIDERS`. A setting that takes
    effect only with a switch on names its switches under ``governed_by`` (Mesa's sliders
    ignore the key): it is in effect when one of them is on and in effect itself. The sign of
    the settings Reset applies names it only then (`controls.moved_settings`).

    Args:
        terms: The picked scenario's terms (the sliders' values).
        seed: The picked scenario's seed.
        catalog_names: Names for the scenario picker.
        picked: The scenario the picker shows.
        about: Each name's scenario name, description and file, as the picker shows them
            (`explored.scenario_about`).
    """

    def governed(switches: tuple[str, ...]) -> dict:
        return {"governed_by": switches} if switches else {}

    def slider(
        label: str,
        value: float,
        low: float,
        high: float,
        step: float,
        governed_by: tuple[str, ...] = (),
    ) -> dict:
        kind = "SliderFloat" if isinstance(step, float) else "SliderInt"
        return {
            "type": kind,
            "label": label,
            "value": value,
            "min": low,
            "max": high,
            "step": step,
            **governed(governed_by),
        }

    def switch(label: str, value: bool, governed_by: tuple[str, ...] = ()) -> dict:
        return {"type": "Checkbox", "label": label, "value": value, **governed(governed_by)}

    t = terms
    return {
        "scenario_name": {
            "type": "Select",
            "label": "Scenario",
            "value": picked,
            "values": catalog_names,
            "about": about or {},
        },
        "seed": slider("Seed", seed, 0, 100, 1),
        "automaker_term_days": slider(
            "Automaker payment term (days)", t.automaker_term_days, 0, 240, 5
        ),
        "platform": switch("Reverse-factoring platform", t.platform),
        "platform_spread_percent": slider(
            "Platform spread (% a year)",
            percent(t.platform_spread),
            0.0,
            5.0,
            0.1,
            governed_by=PLATFORM_SWITCHES,
        ),
        "platform_onboarded_percent": slider(
            "Platform: tier 1 onboarded (%)",
            percent(t.platform_onboarded_share),
            0.0,
            100.0,
            5.0,
            governed_by=PLATFORM_SWITCHES,
        ),
        "factoring": switch("Factoring", t.factoring),
        "order_financing": switch("Order financing", t.order_financing),
        "bank_cutoff_pd_percent": slider(
            "Bank cut-off (scored PD, %)", percent(t.bank_cutoff_pd), 1.0, 50.0, 1.0
        ),
        "bank_capital_ratio_percent": slider(
            "Bank capital ratio (%)", percent(t.bank_capital_ratio), 2.0, 30.0, 0.5
        ),
        "approval_parallel": switch("Car loans: automated checks in parallel", t.approval_parallel),
        "reviewers": slider("Car loans: manual reviewers per bank", t.reviewers, 1, 20, 1),
        "bank_app_traffic": slider(
            "Bank-app partnership: offers per month", t.bank_app_traffic, 0, 1_000_000, 10_000
        ),
        "compare": switch("Side by side: run a second copy", False),
        "compare_term_days": slider(
            "Second copy: automaker payment term (days)",
            contrast_term(t),
            0,
            240,
            5,
            governed_by=("compare",),
        ),
        "compare_platform": switch(
            "Second copy: reverse-factoring platform", t.platform, governed_by=("compare",)
        ),
    }
