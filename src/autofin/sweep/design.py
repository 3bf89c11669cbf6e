"""Designs: the points of a sweep, and the seeds of their replications.

Grids come from `itertools.product`; random points from a seeded NumPy generator; Latin
hypercubes from `scipy.stats.qmc`; Sobol (Saltelli) and Morris samples from SALib, so that
the analysis can hand the same matrix back to SALib. Samplers work in the unit hypercube and
each `Parameter` maps its coordinate to a value (linear, log, integer or one of a list).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from autofin.sweep.experiment import Design, Parameter

POINT = "point"


def unit_problem(names: list[str]) -> dict[str, Any]:
    """The SALib problem of a design over the unit hypercube.

    Args:
        names: Parameter names (dotted paths), in design order.

    Returns:
        A SALib problem dictionary with bounds [0, 1] for every parameter.
    """
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def unit_sample(
    design: Design,
    dimensions: int,
    *,
    samples: int | None = None,
    trajectories: int = 10,
    levels: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """Points in [0, 1]^d for the sampled designs (not grid).

    Args:
        design: random, latin_hypercube, sobol (Saltelli) or morris.
        dimensions: Number of parameters.
        samples: Number of points (random, latin_hypercube) or Saltelli base samples (sobol).
        trajectories: Morris trajectories.
        levels: Morris levels.
        seed: Seed of the sampler.

    Returns:
        An array of shape (points, dimensions).
    """
    if design == "random":
        return np.random.default_rng(seed).random((samples or 1, dimensions))
    if design == "latin_hypercube":
        return qmc.LatinHypercube(d=dimensions, seed=seed).random(samples or 1)
    names = [f"x{i}" for i in range(dimensions)]
    if design == "sobol":
        from SALib.sample import sobol

        return sobol.sample(unit_problem(names), samples or 1, calc_second_order=False, seed=seed)
    if design == "morris":
        from SALib.sample import morris

        return morris.sample(unit_problem(names), trajectories, num_levels=levels, seed=seed)
    raise ValueError(f"unit_sample has no {design!r} design")


def design_points(
    parameters: Mapping[str, Parameter],
    design: Design,
    *,
    samples: int | None = None,
    trajectories: int = 10,
    levels: int = 4,
    seed: int = 0,
) -> pd.DataFrame:
    """The design: one row per point, one column per parameter (values, not unit coordinates).

    For sampled designs the unit coordinates are kept too, as `unit:<parameter>` columns,
    which the Sobol and Morris analyses hand back to SALib.

    Args:
        parameters: Parameter path to specification, in order.
        design: grid, random, latin_hypercube, sobol or morris.
        samples: See `unit_sample`.
        trajectories: Morris trajectories.
        levels: Morris levels.
        seed: Seed of the sampler.

    Returns:
        A frame with a `point` column numbering the points from 0.
    """
    names = list(parameters)
    if design == "grid":
        rows = list(itertools.product(*(parameters[name].grid() for name in names)))
        frame = pd.DataFrame(rows, columns=names)
    else:
        unit = unit_sample(
            design,
            len(names),
            samples=samples,
            trajectories=trajectories,
            levels=levels,
            seed=seed,
        )
        frame = pd.DataFrame(
            {
                name: [parameters[name].scale(u) for u in unit[:, column]]
                for column, name in enumerate(names)
            }
        )
        for column, name in enumerate(names):
            frame[f"unit:{name}"] = unit[:, column]
    frame.insert(0, POINT, np.arange(len(frame)))
    return frame


def replication_seeds(base_seed: int, replications: int) -> list[int]:
    """Seeds of the replications, the same for every design point (common random numbers).

    Derived from the base seed with `numpy.random.SeedSequence.spawn`, so they are
    independent streams and do not change when the design does.

    Args:
        base_seed: The experiment's seed.
        replications: How many.

    Returns:
        Non-negative 63-bit integers, one per replication.
    """
    children = np.random.SeedSequence(base_seed).spawn(replications)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]
