"""A results folder that is always one complete run: checked, locked, staged, swapped.

`ResultsFolder` is opened before a simulation starts, so that an output path that cannot
work (a file, a folder that is not a results folder, a name too long, a folder another run
is writing to) is refused before any time is spent. Results are written into a fresh
staging folder beside the target (`.<name>.tmp-<random>`) and swapped in with one rename
(`renameat2(RENAME_EXCHANGE)` on Linux), so the target is always either the previous
complete run or the new complete run, never a mix. A lock file beside the target
(`.<name>.lock`, held with `flock`, released by the kernel even on SIGKILL) refuses a second
concurrent writer; staging folders left by a killed run are removed by the next writer.

`summary.json` records the SHA-256 of every other file (`file_sha256`); `verify_results`
checks a folder against it.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

SUMMARY_JSON = "summary.json"
REPORT_HTML = "report.html"
"""The run's HTML report: derived from the data files, so not in the SHA-256 record."""
MANIFEST_KEY = "file_sha256"
"""Key of `summary.json` that maps every other file of the run to its SHA-256 (hex)."""
_STAGING_MARK = ".tmp-"
_SUFFIX_ROOM = 24
"""Characters a staging or lock name adds to the target's name."""
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class OutputFolderError(Exception):
    """An output folder that cannot be used, for a reason the user can fix (exit code 2)."""


class FolderBusyError(OutputFolderError):
    """Another process is writing results into the same folder."""


class ResultsIntegrityError(Exception):
    """A results folder whose files do not match the SHA-256s recorded in `summary.json`."""


class ResultsFolder:
    """Exclusive, all-or-nothing writing of one results folder.

    Use as a context manager: on entry the target is checked, locked and a staging folder
    created; write the files into `staging`, then call `commit()` to swap them in. Leaving
    the block without `commit()` (an error, Ctrl-C) removes the staging folder and leaves
    the target as it was.

    Attributes:
        target: The results folder (absolute).
        staging: The folder to write into (valid inside the `with` block).
    """

    def __init__(self, target: str | Path) -> None:
        if str(target).strip() == "":
            raise OutputFolderError("the output folder is empty; give a folder name")
        self.target = Path(os.path.abspath(Path(target).expanduser()))
        self.staging = self.target
        self._lock_handle: Any = None

    def __enter__(self) -> ResultsFolder:
        check_output_folder(self.target)
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise OutputFolderError(
                f"{self.target}: a part of the path is a file, not a folder"
            ) from None
        except NotADirectoryError:
            raise OutputFolderError(
                f"{self.target}: a part of the path is a file, not a folder"
            ) from None
        self._lock()
        try:
            check_output_folder(self.target)  # again, now that nobody else writes
            self._remove_leftovers()
            self.staging = parent / f".{self.target.name}{_STAGING_MARK}{uuid.uuid4().hex[:12]}"
            self.staging.mkdir()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self.staging != self.target and self.staging.exists():
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._unlock()

    def commit(self) -> None:
        """Swap the staging folder in for the target in one rename, then drop the old run."""
        _fsync_folder(self.staging)
        if self.target.exists():
            _exchange(self.staging, self.target)  # the staging path now holds the old run
        else:
            os.rename(self.staging, self.target)
        _fsync_folder(self.target.parent)
        shutil.rmtree(self.staging, ignore_errors=True)

    def _lock(self) -> None:
        self._lock_handle = lock_folder(self.target, "run")

    def _unlock(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()  # closing releases the flock
            self._lock_handle = None

    def _remove_leftovers(self) -> None:
        """Remove staging folders that a killed run left beside the target."""
        prefix = f".{self.target.name}{_STAGING_MARK}"
        for entry in self.target.parent.iterdir():
            if entry.name.startswith(prefix) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def lock_folder(target: Path, what: str) -> Any:
    """Hold the lock beside ``target`` (`.<name>.lock`, `flock`) until the handle is closed.

    The kernel releases it when the process ends, even on SIGKILL.

    Args:
        target: The folder written.
        what: What writes it ("run", "sweep"), for the message of a second one.

    Returns:
        The open lock file (None where `flock` does not exist).

    Raises:
        FolderBusyError: If another process holds the lock.
    """
    if fcntl is None:  # pragma: no cover - not on POSIX
        return None
    path = target.parent / f".{target.name}.lock"
    handle = open(path, "a+")  # noqa: SIM115 - held until the caller closes it
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise FolderBusyError(
            f"{target}: another autofin {what} ({holder}) is writing results to this "
            "folder; wait for it to finish or choose another output folder"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


def check_output_folder(target: Path) -> None:
    """Refuse an output folder that could not hold a run, before anything is simulated.

    Args:
        target: The absolute path of the results folder.

    Raises:
        OutputFolderError: If the path is a file, a symbolic link, under a file, has a name
            too long for the file system, or is a folder with other content than a run.
        OSError: If the file system cannot be queried (permission, for instance).
    """
    try:
        _check_output_folder(target)
    except OSError as error:
        if error.errno != errno.ENAMETOOLONG:
            raise
        longest = max(target.parts, key=lambda part: len(part.encode()))
        raise OutputFolderError(
            f"{target}: too long for the file system (its longest name, {longest[:40]!r}..., "
            f"is {len(longest.encode())} bytes; the whole path {len(str(target).encode())})"
        ) from None


def _check_output_folder(target: Path) -> None:
    """`check_output_folder`, letting a name too long to query raise its `OSError`."""
    if target.is_symlink():
        raise OutputFolderError(
            f"{target}: is a symbolic link; give the real folder (results are swapped in "
            "by renaming, which would replace the link)"
        )
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{target}: is a file, not a folder")
    if Path.cwd().resolve().is_relative_to(target.resolve()):
        raise OutputFolderError(
            f"{target}: is the working folder or holds it; results replace the whole folder, "
            "so give a folder of its own (e.g. results/<name>)"
        )
    existing = target.parent
    while not existing.exists():
        if existing.is_symlink():
            raise OutputFolderError(f"{existing}: is a broken symbolic link")
        existing = existing.parent
    if not existing.is_dir():
        raise OutputFolderError(f"{target}: {existing} is a file, not a folder")
    name_max = _name_max(existing)
    for part in target.parts[len(existing.parts) :]:
        if len(part.encode()) + _SUFFIX_ROOM > name_max:
            raise OutputFolderError(
                f"{target}: the name {part[:40]!r}... is {len(part.encode())} bytes long; this "
                f"file system allows {name_max - _SUFFIX_ROOM} for a results folder"
            )
    if target.is_dir():
        entries = [entry.name for entry in target.iterdir()]
        if entries and SUMMARY_JSON not in entries:
            raise OutputFolderError(
                f"{target}: the folder holds other files than a finished autofin run "
                f"({', '.join(sorted(entries)[:3])}{', ...' if len(entries) > 3 else ''}); "
                "results replace the whole folder, so choose an empty or new folder"
            )


_KNOWN_DIGESTS: dict[tuple[int, ...], str] = {}
"""SHA-256s computed in this process, by the file's identity and last change (see below)."""
KNOWN_DIGESTS_KEPT = 4096
SETTLED_SECONDS = 2.0
"""How long ago a file must have last changed for its SHA-256 to be kept (see below)."""


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes.

    A file read before and not changed since (same device, inode, size, modification and
    status-change times: any write changes the last, and no tool can set it) is not read
    again: `compare` checks each run's files for its table, its steps, its paired
    differences and its report, and a panel of every firm can take seconds to read. Only a
    file last changed `SETTLED_SECONDS` or more before it was read is remembered: a file
    system that keeps times to a coarse tick (older kernels) could give a file rewritten at
    its old size within the tick of its last change the same times.
    """
    now_ns = time.time_ns()
    stat = path.stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    known = _KNOWN_DIGESTS.get(identity)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if now_ns - max(stat.st_mtime_ns, stat.st_ctime_ns) < SETTLED_SECONDS * 1e9:
        return digest.hexdigest()
    if len(_KNOWN_DIGESTS) >= KNOWN_DIGESTS_KEPT:
        _KNOWN_DIGESTS.clear()
    _KNOWN_DIGESTS[identity] = digest.hexdigest()
    return _KNOWN_DIGESTS[identity]


def verify_results(directory: str | Path) -> dict[str, Any]:
    """Check a results folder against the SHA-256s its `summary.json` records.

    Args:
        directory: A results folder.

    Returns:
        The parsed `summary.json`.

    Raises:
        ResultsIntegrityError: If a recorded file is missing, differs from its SHA-256, or an
            unrecorded (not hidden) file is present. Folders written before SHA-256s were
            recorded pass.
        FileNotFoundError: If there is no `summary.json`.
    """
    directory = Path(directory)
    summary = json.loads((directory / SUMMARY_JSON).read_text(encoding="utf-8"))
    recorded = summary.get(MANIFEST_KEY) if isinstance(summary, dict) else None
    if not isinstance(recorded, dict):
        return summary
    # Hidden files (.DS_Store and the like) are not results, and the report is derived from the
    # data files and may be rebuilt in place (`autofin report`); every other file is recorded.
    present = {entry.name for entry in directory.iterdir() if not entry.name.startswith(".")} - {
        SUMMARY_JSON,
        REPORT_HTML,
    }
    for name in sorted(set(recorded) | present):
        if name not in recorded:
            raise ResultsIntegrityError(f"{directory}: {name} is not part of the recorded run")
        if not (directory / name).is_file():
            raise ResultsIntegrityError(f"{directory}: {name} is missing")
    changed = changed_files(directory, summary)
    if changed:
        raise ResultsIntegrityError(
            f"{directory}: {changed[0]} does not match the SHA-256 in {SUMMARY_JSON}; the "
            "folder mixes runs or was changed after the run"
        )
    return summary


def not_a_run(directory: Path) -> str:
    """Why ``directory``, which has no ``summary.json``, is not a run to read.

    A sweep's folder is named as one, with the command that reads it (`autofin analyze`).

    Args:
        directory: A folder without a run's `summary.json`.

    Returns:
        The message, starting with the folder.
    """
    from autofin.sweep.store import RESOLVED  # (imports Dask: only on the way to an error)

    if (directory / RESOLVED).is_file():
        return (
            f"{directory}: a sweep, not a run (it has {RESOLVED}); its report is made by "
            f"`autofin analyze {directory}`"
        )
    return f"{directory}: unfinished or not an autofin run (no summary.json)"


def changed_files(directory: str | Path, summary: dict[str, Any]) -> list[str]:
    """The recorded files of a results folder that are present but differ from their SHA-256.

    Missing files are not listed (`verify_results` refuses those too; the report draws what
    it has). Folders written before SHA-256s were recorded have none.
    """
    directory = Path(directory)
    recorded = summary.get(MANIFEST_KEY) if isinstance(summary, dict) else None
    if not isinstance(recorded, dict):
        return []
    return [
        name
        for name, digest in sorted(recorded.items())
        if (directory / name).is_file() and file_sha256(directory / name) != digest
    ]


def _exchange(first: Path, second: Path) -> None:
    """Swap two paths atomically (Linux `renameat2`), or as two renames where unsupported."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = getattr(libc, "renameat2", None)
        if renameat2 is not None:
            done = renameat2(
                _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
            )
            if done == 0:
                return
            code = ctypes.get_errno()
            if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
                raise OSError(code, os.strerror(code), str(second))
    # Fallback: a short moment in which the target is missing (never a mix of runs).
    aside = second.parent / f".{second.name}{_STAGING_MARK}old-{uuid.uuid4().hex[:8]}"
    os.rename(second, aside)
    os.rename(first, second)
    os.rename(aside, first)


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries to disk (where the platform allows opening folders)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255
