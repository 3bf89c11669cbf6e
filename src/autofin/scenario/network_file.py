"""Reading network files (edge-list CSV or GraphML) into a checked table of edges.

Network files are validated as strictly as scenarios: firm names are text exactly as written
(`NA`, `null` and `n/a` are names, not missing values), a CSV has exactly the columns
`supplier,customer[,share]` on every line, shares are finite positive numbers, a GraphML
graph is directed and its edges join declared nodes. Every error names the file, the line
(or edge) and the value.
"""

from __future__ import annotations

import csv
import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

MAX_FILE_BYTES = 50_000_000
"""Largest network file read."""
MAX_EDGES = 1_000_000
"""Most edges in a network file: memory and run time grow with them."""
COLUMNS = ("supplier", "customer", "share")
_GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


class NetworkFileError(ValueError):
    """A network file that cannot be used, with a message that says why."""


def read_edges(path: Path) -> pd.DataFrame:
    """Read and check a network file's edges.

    Args:
        path: An edge-list CSV (`supplier,customer[,share]`) or a `.graphml` file.

    Returns:
        One row per edge: `supplier` and `customer` (text) and `share` (positive float).

    Raises:
        NetworkFileError: If the file is missing, too large or malformed.
    """
    try:
        size = path.stat().st_size
    except OSError:
        raise NetworkFileError(f"network file {path} does not exist") from None
    if not path.is_file():
        raise NetworkFileError(f"{path} is not a file")
    if size > MAX_FILE_BYTES:
        raise NetworkFileError(
            f"{path}: {size:,} bytes; network files are limited to {MAX_FILE_BYTES:,}"
        )
    edges = _read_graphml(path) if path.suffix.lower() == ".graphml" else _read_csv(path)
    if not edges:
        raise NetworkFileError(f"{path}: the network has no edges")
    return pd.DataFrame(edges, columns=list(COLUMNS)).astype(
        {"supplier": object, "customer": object, "share": float}
    )


def _read_csv(path: Path) -> list[tuple[str, str, float]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise NetworkFileError(f"{path}: not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise NetworkFileError(f"{path}: cannot read ({error.strerror})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
    except csv.Error as error:
        raise NetworkFileError(f"{path}: line 1: {error}") from None
    if header not in (list(COLUMNS[:2]), list(COLUMNS)):
        raise NetworkFileError(
            f"{path}: line 1: columns are {_short(','.join(header))}; expected exactly "
            "supplier,customer or supplier,customer,share"
        )
    edges: list[tuple[str, str, float]] = []
    first_line: dict[tuple[str, str], int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise NetworkFileError(
                    f"{path}: line {line}: {len(row)} fields ({_short(','.join(row))}); "
                    f"expected {len(header)} ({','.join(header)})"
                )
            supplier, customer = (
                _name(path, line, "supplier", row[0]),
                _name(path, line, "customer", row[1]),
            )
            share = _share(path, line, row[2]) if len(row) == 3 else 1.0
            _add(path, f"line {line}", edges, first_line, supplier, customer, share, line)
    except csv.Error as error:
        raise NetworkFileError(f"{path}: line {reader.line_num}: {error}") from None
    return edges


def _read_graphml(path: Path) -> list[tuple[str, str, float]]:
    try:
        tree = ET.parse(path)
    except ET.ParseError as error:
        raise NetworkFileError(f"{path}: not a readable GraphML file ({error})") from None
    root = tree.getroot()
    graphs = root.findall(f"{_GRAPHML}graph")
    if len(graphs) != 1:
        raise NetworkFileError(
            f"{path}: expected one <graph> in the GraphML namespace, found {len(graphs)}"
        )
    graph = graphs[0]
    if graph.get("edgedefault") != "directed":
        raise NetworkFileError(
            f'{path}: the graph is undirected (edgedefault="{graph.get("edgedefault")}"); '
            'supply edges need a direction: use edgedefault="directed" (supplier -> customer)'
        )
    share_keys = {
        key.get("id")
        for key in root.findall(f"{_GRAPHML}key")
        if key.get("attr.name") == "share" and key.get("for") in ("edge", "all", None)
    }
    declared = set()
    for node in graph.findall(f"{_GRAPHML}node"):
        node_id = node.get("id")
        if node_id is None or not node_id.strip():
            raise NetworkFileError(f"{path}: a <node> has no id")
        declared.add(node_id)
    edges: list[tuple[str, str, float]] = []
    first: dict[tuple[str, str], int] = {}
    for number, edge in enumerate(graph.findall(f"{_GRAPHML}edge"), start=1):
        where = f"edge {number}"
        if edge.get("directed") == "false":
            raise NetworkFileError(f'{path}: {where} is undirected (directed="false")')
        supplier, customer = edge.get("source"), edge.get("target")
        for role, name in (("source", supplier), ("target", customer)):
            if name not in declared:
                raise NetworkFileError(
                    f"{path}: {where}: {role} {_short(str(name))} is not a declared <node>"
                )
        share = 1.0
        for data in edge.findall(f"{_GRAPHML}data"):
            if data.get("key") in share_keys:
                share = _share(path, where, data.text or "")
        _add(path, where, edges, first, str(supplier), str(customer), share, number)
    return edges


def _add(
    path: Path,
    where: str,
    edges: list[tuple[str, str, float]],
    first: dict[tuple[str, str], int],
    supplier: str,
    customer: str,
    share: float,
    position: int,
) -> None:
    """Append an edge after checking it is not a loop, a repeat or one too many."""
    if supplier == customer:
        raise NetworkFileError(f"{path}: {where}: {_short(supplier)} supplies itself")
    key = (supplier, customer)
    if key in first:
        raise NetworkFileError(
            f"{path}: {where}: edge {_short(supplier)} -> {_short(customer)} is given twice "
            f"(first at {where.split()[0]} {first[key]})"
        )
    if len(edges) >= MAX_EDGES:
        raise NetworkFileError(
            f"{path}: more than {MAX_EDGES:,} edges; memory and run time grow with the network"
        )
    first[key] = position
    edges.append((supplier, customer, share))


def _name(path: Path, line: int, column: str, text: str) -> str:
    name = text.strip()
    if not name:
        raise NetworkFileError(f"{path}: line {line}: {column} is empty; every firm needs a name")
    return name


def _share(path: Path, where: str | int, text: str) -> float:
    where = f"line {where}" if isinstance(where, int) else where
    try:
        share = float(text.strip())
    except ValueError:
        raise NetworkFileError(
            f"{path}: {where}: share {_short(text)} is not a number; expected a positive number"
        ) from None
    if not math.isfinite(share) or share <= 0:
        raise NetworkFileError(
            f"{path}: {where}: share {_short(text)}; expected a finite number above 0"
        )
    return share


def _short(text: str, limit: int = 40) -> str:
    text = repr(text)
    return text if len(text) <= limit else text[: limit - 4] + "...'"
