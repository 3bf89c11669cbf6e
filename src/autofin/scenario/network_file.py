"""Reading network files (edge-list CSV or GraphML) into a checked table of edges.

Network files are validated as strictly as scenarios: firm names are text exactly as written
(`NA`, `null` and `n/a` are names, not missing values), a CSV has exactly the columns
`supplier,customer[,share][,part]` on every line, shares are finite positive numbers, a
GraphML graph is directed and its edges join declared nodes. A `part` (CSV column, or GraphML
node attribute) names the part category a supplier makes: text, the same on every line of
that supplier, given for every supplier or for none. Every error names the file, the line
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
COLUMNS = ("supplier", "customer", "share", "part")
HEADERS = (
    ["supplier", "customer"],
    ["supplier", "customer", "share"],
    ["supplier", "customer", "part"],
    ["supplier", "customer", "share", "part"],
)
"""The column lists a CSV may have, in this order."""
MAX_PART_CHARS = 100
"""Longest part-category name."""
Edge = tuple[str, str, float, str | None]
_GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


class NetworkFileError(ValueError):
    """A network file that cannot be used, with a message that says why."""


def read_edges(path: Path) -> pd.DataFrame:
    """Read and check a network file's edges.

    Args:
        path: An edge-list CSV (`supplier,customer[,share][,part]`) or a `.graphml` file.

    Returns:
        One row per edge: `supplier` and `customer` (text), `share` (positive float),
        `part` (the supplier's part category, or None when the file gives no parts) and
        `where` (the edge's place in the file, "line 5" or "edge 3", for later errors).

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
    reader = _read_graphml if path.suffix.lower() == ".graphml" else _read_csv
    edges, places = reader(path)
    if not edges:
        raise NetworkFileError(f"{path}: the network has no edges")
    frame = pd.DataFrame(edges, columns=list(COLUMNS)).astype(
        {"supplier": object, "customer": object, "share": float, "part": object}
    )
    frame["where"] = places
    return frame


def _check_parts(path: Path, edges: list[Edge], where: list[str]) -> None:
    """Every supplier makes one part, and parts are given for every supplier or for none."""
    part_of: dict[str, tuple[str | None, str]] = {}
    given = [edge[3] is not None for edge in edges]
    if any(given) and not all(given):
        missing = where[given.index(False)]
        raise NetworkFileError(
            f"{path}: {missing}: no part given; give the part of every supplier or of none"
        )
    for edge, place in zip(edges, where, strict=True):
        supplier, part = edge[0], edge[3]
        if supplier in part_of and part_of[supplier][0] != part:
            first_part, first_place = part_of[supplier]
            raise NetworkFileError(
                f"{path}: {place}: supplier {_short(supplier)} makes part {_short(str(part))} "
                f"here but {_short(str(first_part))} at {first_place}; each supplier makes one "
                "part category"
            )
        part_of.setdefault(supplier, (part, place))


def _part(path: Path, where: str, text: str) -> str:
    part = text.strip()
    if not part:
        raise NetworkFileError(
            f"{path}: {where}: part is empty; expected the name of the supplier's part category"
        )
    if len(part) > MAX_PART_CHARS:
        raise NetworkFileError(
            f"{path}: {where}: part {_short(part)} is {len(part)} characters long; at most "
            f"{MAX_PART_CHARS} are allowed"
        )
    return part


def _read_csv(path: Path) -> tuple[list[Edge], list[str]]:
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
    if header not in HEADERS:
        raise NetworkFileError(
            f"{path}: line 1: columns are {_short(','.join(header))}; expected exactly "
            "supplier,customer with share and/or part after them (supplier,customer,share,part)"
        )
    edges: list[Edge] = []
    where: list[str] = []
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
            fields = dict(zip(header, row, strict=True))
            share = _share(path, line, fields["share"]) if "share" in fields else 1.0
            part = _part(path, f"line {line}", fields["part"]) if "part" in fields else None
            _add(path, f"line {line}", edges, first_line, supplier, customer, share, line, part)
            where.append(f"line {line}")
    except csv.Error as error:
        raise NetworkFileError(f"{path}: line {reader.line_num}: {error}") from None
    _check_parts(path, edges, where)
    return edges, where


def _read_graphml(path: Path) -> tuple[list[Edge], list[str]]:
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
    part_keys = {
        key.get("id")
        for key in root.findall(f"{_GRAPHML}key")
        if key.get("attr.name") == "part" and key.get("for") in ("node", "all", None)
    }
    declared = set()
    part_of: dict[str, str] = {}
    for node in graph.findall(f"{_GRAPHML}node"):
        node_id = node.get("id")
        if node_id is None or not node_id.strip():
            raise NetworkFileError(f"{path}: a <node> has no id")
        declared.add(node_id)
        for data in node.findall(f"{_GRAPHML}data"):
            if data.get("key") in part_keys:
                part_of[node_id] = _part(path, f"node {_short(node_id)}", data.text or "")
    edges: list[Edge] = []
    places: list[str] = []
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
        part = part_of.get(str(supplier))
        _add(path, where, edges, first, str(supplier), str(customer), share, number, part)
        places.append(where)
    _check_parts(path, edges, places)
    return edges, places


def _add(
    path: Path,
    where: str,
    edges: list[Edge],
    first: dict[tuple[str, str], int],
    supplier: str,
    customer: str,
    share: float,
    position: int,
    part: str | None = None,
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
    edges.append((supplier, customer, share, part))


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
