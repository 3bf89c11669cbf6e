"""Scenario sections for supply-chain finance: the instruments and payment-term policies.

Every instrument is off unless its section is given. Rates are annual fractions, durations in
days, shares in [0, 1]. Firms are named by tier (0 = automakers, 1 = tier-1 suppliers, ...) and
automakers by their index (0 = the first automaker).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from autofin.scenario._types import (
    Day,
    Days,
    Index,
    PositiveDays,
    Probability,
    Rate,
    Section,
    SupplierTier,
)

Tiers = Annotated[list[SupplierTier], Field(min_length=1, max_length=50)]
Indices = Annotated[list[Index], Field(min_length=1, max_length=1000)]

INSTRUMENT_CHOICES = (
    "reverse_factoring",
    "factoring",
    "inventory_financing",
    "bank_loan",
)
"""Instruments a firm short of cash can draw on in settlement, by name."""

ChoiceName = Literal["reverse_factoring", "factoring", "inventory_financing", "bank_loan"]


class OrderFinancingSpec(Section):
    """Order (purchase-order) financing: an advance against a confirmed order."""

    advance_rate: Probability = Field(
        0.6, description="Share of a confirmed order's value the bank advances when it arrives."
    )
    spread: Rate = Field(0.015, description="Annual margin over the bank's cost and expected loss.")
    tiers: list[SupplierTier] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Supplier tiers that can finance their orders; every supplier tier if omitted.",
    )
    cash_plan_days: PositiveDays = Field(
        28,
        description="A supplier borrows against new orders only what its payments due in "
        "this many days (wages, fixed costs, invoices, loans) exceed its cash.",
    )
    buyer_risk: Literal["supplier", "bank"] = Field(
        "supplier",
        description="Who loses the advance if the buyer defaults: `supplier` (it still owes "
        "the advance) or `bank` (the order was assigned to the bank without recourse: the "
        "bank claims on the buyer's estate in the supplier's place, up to the invoice, and "
        "loses the rest).",
    )
    repayment_grace_days: Days = Field(
        28,
        description="Days after the expected payment of an order's invoice by which whatever "
        "the invoices have not repaid falls due from the supplier itself.",
    )


class InventoryFinancingSpec(Section):
    """Inventory financing: a revolving loan secured on inventory."""

    loan_to_value: Probability = Field(
        0.6, description="Largest loan as a share of the inventory's collateral value."
    )
    haircut: Probability = Field(
        0.2, description="Share of book value the bank deducts to get the collateral value."
    )
    spread: Rate = Field(0.01, description="Annual margin over the bank's cost and expected loss.")
    loss_given_default: Probability = Field(
        0.35, description="Loss given default the bank assumes in pricing (the loan is secured)."
    )
    tiers: list[SupplierTier] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Supplier tiers that can borrow against inventory; every supplier tier if "
        "omitted.",
    )


class FactoringSpec(Section):
    """Receivable factoring: a supplier sells its invoices to its bank before they are due."""

    recourse: bool = Field(
        True,
        description="With recourse the supplier repays the bank if its customer does not pay; "
        "without, the bank carries the customer's risk and prices on it.",
    )
    spread: Rate = Field(0.02, description="Annual margin over the bank's cost and expected loss.")
    tiers: list[SupplierTier] | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Supplier tiers that can factor their invoices; every supplier tier if "
        "omitted.",
    )


class ReverseFactoringSpec(Section):
    """Reverse factoring: a platform on which the sponsor confirms its suppliers' invoices."""

    sponsor: Index = Field(
        0, description="Index of the sponsoring automaker (0 = the first automaker)."
    )
    banks: Indices = Field(
        default_factory=lambda: [0],
        description="Indices of the banks that fund the platform; suppliers are spread over them.",
    )
    tiers: Tiers = Field(
        default_factory=lambda: [1],
        description="Tiers reached: `[1]` for tier 1 only; `[1, 2]` lets a tier-1 supplier pass "
        "confirmed claims on the sponsor up to its own suppliers, who discount them on the "
        "platform (multi-tier). These two are the only values: a claim passes one tier up at "
        "most, so tier 3 is never on the platform. A tier-2 supplier takes "
        "claims from its tier-1 customers only to cover a shortfall, as every instrument is "
        "drawn, so the platform carries a small part of tier 2's finance.",
    )
    spread: Rate = Field(
        0.005, description="Annual platform margin over the bank's cost and expected loss."
    )
    approval_days: Days = Field(
        14, description="Days after invoicing before the sponsor confirms an invoice."
    )
    onboarded_share: Probability = Field(
        1.0, description="Share of eligible suppliers onboarded to the platform (drawn at start)."
    )
    limit_days: Days = Field(
        180,
        description="Each onboarded supplier's limit on the platform: the most the platform "
        "banks hold of its confirmed invoices, in days of its expected sales to the sponsor.",
    )

    @model_validator(mode="after")
    def _check_tiers(self) -> ReverseFactoringSpec:
        if sorted(set(self.tiers)) not in ([1], [1, 2]):
            raise ValueError(
                f"tiers must be [1] (tier 1 only) or [1, 2] (multi-tier), got {self.tiers}"
            )
        return self


class SyndicatedLoanSpec(Section):
    """A syndicated loan: one facility to an automaker, shared by several banks."""

    borrower: Index = Field(0, description="Index of the borrowing automaker.")
    banks: Indices = Field(
        default_factory=lambda: [0, 1, 2],
        description="Indices of the banks in the syndicate.",
    )
    shares: list[Annotated[float, Field(gt=0.0, le=1.0)]] | None = Field(
        None,
        max_length=1000,
        description="Each bank's share of the facility (summing to 1); equal shares if omitted.",
    )
    size_days: PositiveDays = Field(
        60, description="Facility size, in days of the borrower's expected revenue."
    )
    drawing: Literal["schedule", "as_needed"] = Field(
        "as_needed",
        description="`schedule` draws the whole facility on `draw_day` and repays it at "
        "maturity; `as_needed` draws when the borrower's cash falls short and repays from cash "
        "above `keep_cash_days`.",
    )
    draw_day: Day = Field(0, description="Day the facility opens (and, by schedule, is drawn).")
    maturity_days: PositiveDays = Field(
        1095, description="Days from `draw_day` until everything drawn is due."
    )
    spread: Rate = Field(
        0.012,
        description="Annual margin over each bank's funding cost, expected loss and capital "
        "charge on the borrower's risk.",
    )
    keep_cash_days: Days = Field(
        30,
        description="Cash, in days of expected revenue, kept before repaying an `as_needed` draw.",
    )

    @model_validator(mode="after")
    def _check_shares(self) -> SyndicatedLoanSpec:
        if len(set(self.banks)) != len(self.banks):
            raise ValueError(f"banks must be different banks, got {self.banks}")
        if self.shares is not None:
            if len(self.shares) != len(self.banks):
                raise ValueError(
                    f"shares has {len(self.shares)} values but banks has {len(self.banks)}"
                )
            if abs(sum(self.shares) - 1.0) > 1e-6:
                raise ValueError(f"shares must sum to 1, got {sum(self.shares):g}")
        return self

    def bank_shares(self) -> list[float]:
        """Each syndicate bank's share (equal if not given)."""
        return self.shares or [1.0 / len(self.banks)] * len(self.banks)


class PaymentTermChange(Section):
    """A change of payment terms taking effect on a given day (e.g. a 60-day pledge)."""

    day: Day = Field(description="Day the new term applies to new invoices.")
    payment_term_days: Days = Field(description="The new payment term.")
    tier: Annotated[int, Field(ge=0, le=50)] = Field(
        0, description="Buyers whose term changes: 0 = automakers, 1 = tier-1 suppliers, ..."
    )
    automaker: Index | None = Field(
        None, description="Only this automaker (index; `tier` 0 only); all if omitted."
    )

    @model_validator(mode="after")
    def _check_automaker(self) -> PaymentTermChange:
        if self.automaker is not None and self.tier != 0:
            raise ValueError(f"automaker is set but tier is {self.tier}; it applies to tier 0")
        return self


class FinanceSpec(Section):
    """Supply-chain finance available in the world, and how firms choose among it."""

    choice: Literal["order", "cheapest"] = Field(
        "order",
        description="How a firm short of cash picks instruments: in the `preference` order, or "
        "the cheapest annual cost first.",
    )
    preference: list[ChoiceName] = Field(
        default_factory=lambda: list(INSTRUMENT_CHOICES),
        min_length=1,
        max_length=len(INSTRUMENT_CHOICES),
        description="Instruments in the order they are tried (with `choice: order`); an "
        "instrument left out is not used in settlement. Names: "
        + ", ".join(f"`{name}`" for name in INSTRUMENT_CHOICES)
        + ".",
    )
    order_financing: OrderFinancingSpec | None = Field(
        None, description="Order financing; off if omitted."
    )
    inventory_financing: InventoryFinancingSpec | None = Field(
        None, description="Inventory financing; off if omitted."
    )
    factoring: FactoringSpec | None = Field(
        None, description="Receivable factoring; off if omitted."
    )
    reverse_factoring: list[ReverseFactoringSpec] = Field(
        default_factory=list,
        max_length=1000,
        description="Reverse-factoring platforms, one per sponsor.",
    )
    syndicated_loans: list[SyndicatedLoanSpec] = Field(
        default_factory=list, max_length=1000, description="Syndicated loans to automakers."
    )
    payment_terms: list[PaymentTermChange] = Field(
        default_factory=list, max_length=1000, description="Changes of payment terms over time."
    )

    @model_validator(mode="after")
    def _check_unique(self) -> FinanceSpec:
        if len(set(self.preference)) != len(self.preference):
            raise ValueError(f"preference names an instrument twice: {self.preference}")
        sponsors = [platform.sponsor for platform in self.reverse_factoring]
        if len(set(sponsors)) != len(sponsors):
            raise ValueError(f"two platforms have the same sponsor: {sponsors}")
        return self

    def tier_references(self) -> list[tuple[str, int]]:
        """Every supplier tier the finance settings name, with its dotted path."""
        refs: list[tuple[str, int]] = []
        for name in ("order_financing", "inventory_financing", "factoring"):
            spec = getattr(self, name)
            if spec is not None and spec.tiers is not None:
                refs += [(f"finance.{name}.tiers.{i}", t) for i, t in enumerate(spec.tiers)]
        for k, platform in enumerate(self.reverse_factoring):
            refs += [
                (f"finance.reverse_factoring.{k}.tiers.{i}", t)
                for i, t in enumerate(platform.tiers)
            ]
        refs += [
            (f"finance.payment_terms.{k}.tier", change.tier)
            for k, change in enumerate(self.payment_terms)
        ]
        return refs

    def automaker_references(self) -> list[tuple[str, int]]:
        """Every automaker index the finance settings name, with its dotted path."""
        refs = [
            (f"finance.reverse_factoring.{k}.sponsor", p.sponsor)
            for k, p in enumerate(self.reverse_factoring)
        ]
        refs += [
            (f"finance.syndicated_loans.{k}.borrower", s.borrower)
            for k, s in enumerate(self.syndicated_loans)
        ]
        refs += [
            (f"finance.payment_terms.{k}.automaker", c.automaker)
            for k, c in enumerate(self.payment_terms)
            if c.automaker is not None
        ]
        return refs

    def bank_references(self) -> list[tuple[str, int]]:
        """Every bank index the finance settings name, with its dotted path."""
        refs = [
            (f"finance.reverse_factoring.{k}.banks.{i}", b)
            for k, p in enumerate(self.reverse_factoring)
            for i, b in enumerate(p.banks)
        ]
        refs += [
            (f"finance.syndicated_loans.{k}.banks.{i}", b)
            for k, s in enumerate(self.syndicated_loans)
            for i, b in enumerate(s.banks)
        ]
        return refs
