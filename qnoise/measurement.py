"""Finite-shot energy estimators.  Engines supply the (ideal) outcome probabilities.

Two models:

* :func:`gaussian_shot_noise`: the CRLQAS paper's model.  To an exact energy add
  ``sum_i w_i * N(0, 1/shots)``: one normal draw of variance ``1/shots`` per term, in term order.
* :func:`sampled_energy`: true sampling.  For each qubit-wise commuting group of the Hamiltonian
  (:meth:`~qnoise.hamiltonian.Hamiltonian.qwc_groups`, in that order) the engine's
  ``probabilities(basis)`` gives the ``2^n`` ideal outcome probabilities when qubit q is measured in
  the basis of code ``basis[q]`` (0 or 3: Z, 1: X, 2: Y; bit q of the outcome index = qubit q).
  The per-qubit readout assignment matrices (``matrix[true, measured]``) are applied exactly,
  ``shots`` outcomes are drawn with one ``rng.multinomial`` per group and each term of the group is
  estimated by the mean of ``(-1)^(parity of the outcome bits on its support)``.

Random numbers come from a NumPy ``Generator``; :func:`as_generator` turns a seed into one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import ValidationError
from .hamiltonian import Hamiltonian, bit_parity, normalize_readout_errors

PROB_ATOL = 1e-8
#: an engine's ``probabilities(basis)``: the ``2^n`` ideal outcome probabilities in that basis
Probabilities = Callable[[np.ndarray], np.ndarray]


def as_generator(seed_or_rng=None) -> np.random.Generator:
    """A NumPy Generator from None (fresh entropy), an int seed, a SeedSequence or a Generator."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    if seed_or_rng is None or isinstance(seed_or_rng, np.random.SeedSequence):
        return np.random.default_rng(seed_or_rng)
    if isinstance(seed_or_rng, (int, np.integer)) and not isinstance(seed_or_rng, (bool, np.bool_)):
        if seed_or_rng < 0:
            raise ValidationError(f"a seed must be a non-negative integer; got {seed_or_rng}")
        return np.random.default_rng(int(seed_or_rng))
    raise ValidationError(
        f"expected a seed (non-negative int), None or a numpy Generator; got {type(seed_or_rng).__name__}"
    )


def check_shots(shots) -> int:
    if isinstance(shots, (bool, np.bool_)) or not isinstance(shots, (int, np.integer)) or shots < 1:
        raise ValidationError(f"shots must be a positive integer; got {shots!r}")
    return int(shots)


def gaussian_shot_noise(energy: float, coeffs, shots: int, rng=None) -> float:
    """``energy + sum_i coeffs[i] * N(0, 1/shots)`` (one draw per term, in term order)."""
    shots = check_shots(shots)
    w = np.asarray(coeffs, dtype=float).ravel()
    if not np.all(np.isfinite(w)) or not np.isfinite(energy):
        raise ValidationError("energy and coefficients must be finite")
    noise = as_generator(rng).normal(0.0, 1.0 / np.sqrt(shots), size=w.size)
    return float(energy + w @ noise)


def apply_readout(probs: np.ndarray, readout_errors) -> np.ndarray:
    """Measured-outcome distribution: each qubit's bit passed through its assignment matrix.

    ``probs`` has length 2^n (bit q of the index = qubit q); ``readout_errors`` is a list of n
    ReadoutError-or-None (or anything :func:`~qnoise.hamiltonian.normalize_readout_errors` takes).
    """
    p = np.asarray(probs, dtype=float)
    n = p.size.bit_length() - 1
    for q, err in enumerate(normalize_readout_errors(readout_errors, n)):
        if err is not None:
            block = p.reshape(1 << (n - 1 - q), 2, 1 << q)
            p = np.einsum("atb,tm->amb", block, err.matrix).reshape(-1)
    return p


def _checked_probabilities(p, n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float).ravel()
    if p.size != 1 << n:
        raise ValidationError(f"probabilities(basis) must return 2^{n} = {1 << n} values; got {p.size}")
    if not np.all(np.isfinite(p)) or p.min() < -PROB_ATOL or abs(p.sum() - 1.0) > PROB_ATOL * p.size:
        raise ValidationError(
            f"outcome probabilities must be >= 0 and sum to 1; got min {p.min():g}, sum {p.sum():.12g}"
        )
    p = np.clip(p, 0.0, None)
    return p / p.sum()


def _support_masks(hamiltonian: Hamiltonian) -> np.ndarray:
    bits = np.int64(1) << np.arange(hamiltonian.num_qubits, dtype=np.int64)
    return ((hamiltonian.codes != 0) @ bits).astype(np.int64)


def _group_samples(probabilities: Probabilities, hamiltonian: Hamiltonian, shots: int, rng, readout_errors):
    """Per QWC group (in order): its term positions, the outcome counts of the outcomes drawn, and
    the ``(terms, outcomes)`` matrix of each term's +-1 value on those outcomes."""
    shots = check_shots(shots)
    rng = as_generator(rng)
    n = hamiltonian.num_qubits
    errs = normalize_readout_errors(readout_errors, n)
    masks = _support_masks(hamiltonian)
    for basis, positions in hamiltonian.qwc_groups():
        p = _checked_probabilities(probabilities(basis.copy()), n)
        p = np.clip(apply_readout(p, errs), 0.0, None)
        counts = rng.multinomial(shots, p / p.sum())
        hit = np.flatnonzero(counts)
        signs = np.array([1 - 2 * bit_parity(hit & masks[t]) for t in positions]).reshape(len(positions), -1)
        yield positions, counts[hit], signs


def sampled_expectations(
    probabilities: Probabilities, hamiltonian: Hamiltonian, shots: int, rng=None, readout_errors=None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-term sampled expectation values and their standard errors ``sqrt((1 - m^2) / shots)``.

    ``shots`` outcomes per QWC group (see the module docstring); one multinomial draw per group.
    """
    est = np.zeros(hamiltonian.num_terms)
    for positions, counts, signs in _group_samples(probabilities, hamiltonian, shots, rng, readout_errors):
        est[positions] = signs @ counts / shots
    stderr = np.sqrt(np.clip(1.0 - est**2, 0.0, None) / shots)
    return est, stderr


def sampled_energy(
    probabilities: Probabilities,
    hamiltonian: Hamiltonian,
    shots: int,
    rng=None,
    readout_errors=None,
    return_stderr: bool = False,
):
    """``constant + sum_i w_i m_i`` with ``m_i`` from :func:`sampled_expectations`.

    With ``return_stderr``: ``(energy, standard error)``, the error estimated from the samples
    themselves: each group contributes the sample variance of its per-shot value
    ``sum_{i in group} w_i (+-1)_i`` over ``shots`` (terms of one group share their shots, so they
    are correlated; groups are independent)."""
    w = hamiltonian.coeffs
    energy, variance = hamiltonian.constant, 0.0
    for positions, counts, signs in _group_samples(probabilities, hamiltonian, shots, rng, readout_errors):
        values = w[positions] @ signs  # the group's energy on each drawn outcome
        mean = counts @ values / shots
        energy += mean
        if shots > 1:
            variance += counts @ (values - mean) ** 2 / (shots - 1) / shots
    energy = float(energy)
    return (energy, float(np.sqrt(variance))) if return_stderr else energy


def gaussian_stderr(coeffs, shots: int) -> float:
    """Standard deviation of :func:`gaussian_shot_noise`: ``sqrt(sum_i w_i^2 / shots)``."""
    w = np.asarray(coeffs, dtype=float).ravel()
    return float(np.sqrt(w @ w / check_shots(shots)))


__all__ = [
    "apply_readout",
    "as_generator",
    "check_shots",
    "gaussian_shot_noise",
    "gaussian_stderr",
    "sampled_energy",
    "sampled_expectations",
]
