"""The agent's entry in the common result table: ``seed_<S>/result.json``, a
:class:`crlqas.qnoise.results.ResultRecord` of the circuit the run would print (the default kind of
:func:`~.circuits.default_kind`: the greedy policy's accurate circuit, else the shortest accurate
one seen in training, else the lowest-energy one), written at the end of every ``train_seed``, so
the agent's runs and the baselines (``crlqas baseline``) fill one table."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from crlqas.qnoise.results import METRICS, ResultRecord

from .circuits import best_from_run, record_circuit

RESULT_FILE = "result.json"


def agent_method(agent: str, profile: str) -> str:
    """The record's ``method`` of an agent run: ``agent:<algorithm>/<profile>``."""
    return f"agent:{agent}/{profile}"


def seed_result(
    seed_path,
    *,
    method: str,
    problem: str,
    noise: str,
    seed: int,
    metric: str,
    e0: float | None,
    chemical_accuracy: float,
    evaluations: int,
    wall_time: float,
    extra: dict | None = None,
) -> ResultRecord | None:
    """The record of the seed directory's default best circuit (``None`` when it holds none yet),
    written atomically to ``seed_path/result.json``.  The energies are the ones the run recorded
    (exact, from the env); ``extra`` names the circuit's kind and episode."""
    seed_path = Path(seed_path)
    if not (seed_path / "best").is_dir() or not any((seed_path / "best").glob("*.json")):
        return None
    record, path = best_from_run(seed_path)
    circuit, angles = record_circuit(record, path)
    energies = dict.fromkeys(METRICS)
    energies.update({k: v for k, v in (record.get("energies") or {}).items() if k in energies})
    if energies["noisy"] is None:
        energies["noisy"] = record["energy"]
    if energies["noiseless"] is None:
        energies["noiseless"] = record.get("energy_noiseless")
    problem_ns = SimpleNamespace(id=problem, e0=e0, chemical_accuracy=chemical_accuracy)
    info = {"kind": record.get("kind"), "episode": record.get("episode"), **(extra or {})}
    result = ResultRecord.from_circuit(
        method=method,
        problem=problem_ns,
        noise=noise,
        seed=seed,
        metric=metric,
        circuit=circuit,
        angles=angles,
        energies=energies,
        evaluations=evaluations,
        wall_time=wall_time,
        extra=info,
    )
    result.write_json(seed_path / RESULT_FILE)
    return result
