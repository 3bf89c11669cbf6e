"""Independent random streams, one per subsystem, spawned from the scenario seed.

Every subsystem draws from its own `numpy.random.Generator`, spawned with
`numpy.random.SeedSequence` from the scenario's seed. Two scenarios with the same seed that
differ in one subsystem (supply-chain finance, say) therefore see the same draws everywhere
else: the same network, the same consumers and the same shopping trips (common random
numbers), so their difference is the effect of the change, not of reshuffled luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SUBSYSTEMS = (
    "network",
    "firms",
    "cost_shocks",
    "resourcing",
    "platforms",
    "consumers",
    "shopping",
    "relationships",
)
"""The subsystems with a stream of their own (banks' scoring has one stream per bank).

New subsystems go at the end: a stream depends on its position, so the others keep theirs."""


@dataclass(frozen=True)
class RandomStreams:
    """One generator per subsystem and one per bank's scoring.

    Attributes:
        network: The supply network's structure.
        firms: Firms' margins, sizes and banks.
        cost_shocks: The cost shocks drawn every step.
        resourcing: Which supplier a customer finds when it re-sources.
        platforms: Which suppliers a reverse-factoring platform onboards.
        consumers: The consumer population.
        shopping: Consumers' trips, funnel, loan approvals and loan fates.
        relationships: Firms' other relationship banks, and those banks' scoring errors.
        scoring: One generator per bank: its scoring error.
    """

    network: np.random.Generator
    firms: np.random.Generator
    cost_shocks: np.random.Generator
    resourcing: np.random.Generator
    platforms: np.random.Generator
    consumers: np.random.Generator
    shopping: np.random.Generator
    relationships: np.random.Generator
    scoring: tuple[np.random.Generator, ...]

    @classmethod
    def spawn(cls, seed: int, banks: int) -> RandomStreams:
        """Spawn every stream from ``seed`` for ``banks`` banks.

        A subsystem's stream depends only on the seed and its position in `SUBSYSTEMS`
        (each bank's on its index), never on how many draws another subsystem made.
        """
        root = np.random.SeedSequence(seed)
        named, scoring = root.spawn(2)
        generators = [np.random.default_rng(s) for s in named.spawn(len(SUBSYSTEMS))]
        return cls(
            *generators,
            scoring=tuple(np.random.default_rng(s) for s in scoring.spawn(banks)),
        )
