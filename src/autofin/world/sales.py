"""Sales and delivery: the money of the cars handed over, and the loans that financed them.

A cash buyer pays the price out of household income; a borrower pays the down payment and
its bank pays the rest of the price to the automaker (the disbursement), and the loan goes on
the bank's books (`autofin.world.auto_loans`).
"""

from __future__ import annotations

import numpy as np

from autofin.world.applications import Financing
from autofin.world.auto_loans import ConsumerLoanBook
from autofin.world.banks import Banks
from autofin.world.channels import Prospects
from autofin.world.ledger import Flow, Ledger


def pay_for_cars(
    step: int,
    seller: np.ndarray,
    buyers: Prospects,
    financing: Financing,
    consumer_account: int,
    loans: ConsumerLoanBook,
    banks: Banks,
    ledger: Ledger,
) -> int:
    """Post the money of the delivered cars and book their loans.

    Args:
        step: The current step.
        seller: Ledger account (firm row) of each buyer's automaker.
        buyers: The buyers who got a car.
        financing: Their financing.
        consumer_account: The consumer sector's ledger account.
        loans: The car-loan book.
        banks: The banks.
        ledger: The ledger.

    Returns:
        Loans booked.
    """
    if buyers.who.size == 0:
        return 0
    cash, financed = ~buyers.wants_loan, buyers.wants_loan
    # Each selection once (the same values, read by several postings).
    cash_price, price = buyers.price[cash], buyers.price[financed]
    amount, lender = financing.amount[financed], financing.bank[financed]
    seller_of_financed = seller[financed]
    down = price - amount
    ledger.post(
        ledger.outside, consumer_account, cash_price.sum() + down.sum(), Flow.HOUSEHOLD_INCOME
    )
    ledger.post(consumer_account, seller[cash], cash_price, Flow.VEHICLE_SALES)
    ledger.post(consumer_account, seller_of_financed, down, Flow.DOWN_PAYMENT)
    ledger.post(banks.accounts[lender], seller_of_financed, amount, Flow.CONSUMER_LOAN_DISBURSEMENT)
    loans.book(
        step,
        lender,
        amount,
        financing.default_month[financed],
        buyers.fraud[financed],
        price,
        banks,
        financing.apr[financed],
    )
    return int(financed.sum())
