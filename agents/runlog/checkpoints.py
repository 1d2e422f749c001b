"""The checkpoint directory format of a seed (``checkpoints/ep<N>/`` with its manifest, and the
seed's ``checkpoint.json`` pointer): writing, verifying and finding checkpoints, the configuration
differences a resume refuses, and the episodes a seed directory records.

A checkpoint directory is written under a temporary name, its files flushed to disk and listed with
their checksums in its manifest, renamed when complete and verified against the manifest; only then
does the seed's ``checkpoint.json`` point at it and are older checkpoints deleted (the previous one
is kept).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from crlqas.qnoise.errors import CrlqasError

from .logs import atomic_write_json, logged_episodes, plain_json

CHECKPOINT_FORMAT = "crlqas-checkpoint/1"
MANIFEST = "checkpoint.json"  # in every checkpoint directory, and the seed's pointer to the latest
_CHECKPOINT_DIR = re.compile(r"ep(\d{8})")
# settings a resumed run may change: how long it runs and how often it checkpoints, not what it computes
RESUME_MAY_CHANGE = (
    "name",
    "run.episodes",
    "run.parallel",
    "run.max_seconds",
    "run.checkpoint_every",
    "run.checkpoint_seconds",
    "run.eval_workers",  # where greedy evaluations run (the run is the same)
    "agent.device",  # where the networks run (checkpoints load on either device)
)


class CheckpointInvalid(CrlqasError):
    """A checkpoint directory is incomplete or damaged (the message says which file and how)."""


def file_sha256(path) -> str:
    """The SHA-256 (hex) of the file ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def config_sha256(config: dict) -> str:
    """SHA-256 of a configuration dict (canonical JSON: sorted keys)."""
    return hashlib.sha256(json.dumps(plain_json(config), sort_keys=True).encode()).hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # no directory handles (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_checkpoint(seed_dir: Path, episode: int, save_files, keep: int = 2, config: dict | None = None) -> Path:
    """Write checkpoint ``checkpoints/ep<episode>`` of a seed directory; returns its path.

    ``save_files(tmpdir)`` fills a temporary directory; its files are flushed to disk, their SHA-256
    checksums (and ``episode``, ``config``: the run's configuration) go to the directory's
    ``checkpoint.json`` manifest, and the directory is renamed into place.  The new checkpoint is
    then verified against its manifest (:func:`verify_checkpoint`; a failure raises and keeps every
    older checkpoint); only after that the seed's ``checkpoint.json`` points to it and older
    checkpoints are deleted, keeping the ``keep - 1`` newest (``keep >= 2``: at least the previous
    complete checkpoint survives).  Checkpoints of later episodes (left by a run that resumed from
    an earlier one because they were damaged) and the leftovers of interrupted writes are removed.
    """
    if keep < 2:
        raise ValueError(f"keep must be at least 2 (the new checkpoint and the previous one); got {keep}")
    seed_dir = Path(seed_dir)
    root = seed_dir / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    name = f"ep{episode:08d}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=name + ".", suffix=".tmp"))
    final, aside = root / name, None
    try:
        save_files(tmp)
        files = {}
        for f in sorted(tmp.iterdir()):
            if f.name == MANIFEST or not f.is_file():
                raise ValueError(f"a checkpoint holds plain files other than {MANIFEST}; got {f.name}")
            with open(f, "rb") as fh:  # flush the contents before the rename makes them visible
                os.fsync(fh.fileno())
            files[f.name] = {"sha256": file_sha256(f), "bytes": f.stat().st_size}
        manifest = {"format": CHECKPOINT_FORMAT, "episode": int(episode), "files": files}
        if config is not None:
            manifest["config_sha256"] = config_sha256(config)
            manifest["config"] = plain_json(config)
        atomic_write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        if final.exists():  # a damaged one of an abandoned later run, or the same episode again
            aside = root / f"{name}.{tmp.name.split('.')[1]}.old"
            os.replace(final, aside)
        os.replace(tmp, final)
        _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if aside is not None and not final.exists():
            os.replace(aside, final)
        raise
    try:
        verify_checkpoint(final)
    except CheckpointInvalid as exc:
        raise CrlqasError(
            f"checkpoint {final} failed verification right after it was written ({exc}); "
            "the older checkpoints are kept: check the disk, then resume the run"
        ) from None
    atomic_write_json(
        seed_dir / MANIFEST, {"format": CHECKPOINT_FORMAT, "episode": int(episode), "dir": f"checkpoints/{name}"}
    )
    older = [p for ep, p in checkpoint_dirs(seed_dir) if ep < episode]
    for p in [p for ep, p in checkpoint_dirs(seed_dir) if ep > episode] + older[keep - 1 :]:
        os.replace(p, root / f"{p.name}.{tmp.name.split('.')[1]}.old")  # gone as a whole, then deleted
    for p in root.iterdir():
        if p.suffix in (".tmp", ".old"):
            shutil.rmtree(p, ignore_errors=True)
    return final


def checkpoint_dirs(seed_dir) -> list[tuple[int, Path]]:
    """``(episode, path)`` of the checkpoint directories (``checkpoints/ep<N>``) of a seed, newest
    first (complete or not: see :func:`verify_checkpoint`)."""
    root = Path(seed_dir) / "checkpoints"
    found = []
    for p in root.iterdir() if root.is_dir() else ():
        m = _CHECKPOINT_DIR.fullmatch(p.name)
        if m and p.is_dir():
            found.append((int(m.group(1)), p))
    return sorted(found, reverse=True)


def _legacy_pointer(seed_dir: Path, path: Path) -> bool:
    """Does the seed's ``checkpoint.json`` (written by crlqas before checkpoints had checksums)
    point at ``path``?"""
    try:
        data = json.loads((seed_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "format" not in data and data.get("dir") == f"checkpoints/{path.name}"


def verify_checkpoint(path) -> dict:
    """The manifest of checkpoint directory ``path`` once every file it lists is there with its
    recorded size and SHA-256; raises :class:`CheckpointInvalid` naming the file and the problem.

    A checkpoint written by crlqas before checksums existed (no manifest in the directory; the
    seed's ``checkpoint.json`` points at it) is accepted unverified (``"verified": False``)."""
    path = Path(path)
    mpath = path / MANIFEST
    if not mpath.is_file():
        if _legacy_pointer(path.parent.parent, path) and all((path / f).is_file() for f in ("model.zip", "state.pkl")):
            return {"episode": int(path.name[2:]), "files": {}, "verified": False, "path": path}
        raise CheckpointInvalid(f"{MANIFEST} missing")
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise CheckpointInvalid(f"{MANIFEST} unreadable ({type(exc).__name__}: {exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(files, dict)
        or manifest.get("format") != CHECKPOINT_FORMAT
        or manifest.get("episode") != int(path.name[2:])
        or not all(isinstance(v, dict) and {"sha256", "bytes"} <= set(v) for v in files.values())
        or not {"model.zip", "state.pkl"} <= set(files)
    ):
        raise CheckpointInvalid(f"{MANIFEST} is not a manifest of this checkpoint")
    for name, want in files.items():
        f = path / name
        if not f.is_file():
            raise CheckpointInvalid(f"{name} missing")
        size = f.stat().st_size
        if size != want["bytes"]:
            raise CheckpointInvalid(f"{name} has {size} bytes, the manifest says {want['bytes']}")
        if file_sha256(f) != want["sha256"]:
            raise CheckpointInvalid(f"{name} checksum mismatch")
    return {**manifest, "verified": True, "path": path}


def find_checkpoint(seed_dir) -> tuple[dict | None, list[str]]:
    """``(manifest, skipped)``: the newest valid checkpoint of a seed (its manifest, with ``path``;
    ``None`` when the seed has no checkpoint) and ``"ep<N>: <why>"`` for each newer one that is
    damaged.  Raises :class:`~crlqas.qnoise.errors.CrlqasError` when checkpoints exist but none
    is valid."""
    skipped = []
    for _, path in checkpoint_dirs(seed_dir):
        try:
            return verify_checkpoint(path), skipped
        except CheckpointInvalid as exc:
            skipped.append(f"{path.name}: {exc}")
    if skipped:
        raise no_valid_checkpoint(seed_dir, skipped)
    return None, skipped


def no_valid_checkpoint(seed_dir, skipped) -> CrlqasError:
    root = Path(seed_dir) / "checkpoints"
    return CrlqasError(
        f"no valid checkpoint in {root}: {'; '.join(skipped)} (to train this seed again from the "
        f"start, move {root} away)"
    )


def config_differences(old: dict, new: dict, ignore=RESUME_MAY_CHANGE) -> list[str]:
    """Dotted paths (``env.problem``, ``agent.params.policy_kwargs.net_arch``) where the plain JSON
    forms of two configurations differ, except the paths in ``ignore``, each as
    ``"path: old -> new"``."""
    out = []

    def walk(a, b, prefix):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), key=str):
                walk(a.get(k, _MISSING), b.get(k, _MISSING), f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
        elif a != b and prefix not in ignore:
            out.append(f"{prefix}: {_short(a)} -> {_short(b)}")

    walk(plain_json(old), plain_json(new), "")
    return out


class _Missing:
    def __repr__(self):
        return "(not set)"


_MISSING = _Missing()


def _short(v, limit: int = 60) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def episodes_done(seed_dir) -> int:
    """The most episodes a seed directory records: its logs (``progress.csv``, ``eval.csv``), its
    ``summary.json`` and its checkpoints (0 for none)."""
    seed_dir = Path(seed_dir)
    done = max((ep for ep, _ in checkpoint_dirs(seed_dir)), default=0)
    done = max(done, logged_episodes(seed_dir))
    try:
        summary = json.loads((seed_dir / "summary.json").read_text())
        done = max(done, int(summary["episodes"]))
    except (OSError, ValueError, TypeError, KeyError):
        pass
    return done


def read_manifest(seed_dir: Path) -> dict | None:
    """The seed's pointer to its latest checkpoint (``episode``, ``dir``, ``path``), or ``None``."""
    path = Path(seed_dir) / MANIFEST
    try:
        data = json.loads(path.read_text())
        data["path"] = Path(seed_dir) / data["dir"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return data
