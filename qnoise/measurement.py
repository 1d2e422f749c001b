"""Finite-shot energy estimators and readout mitigation.  Engines supply the (ideal) outcome
probabilities.

Two shot models:

* :func:`gaussian_shot_noise`: the CRLQAS paper's model.  To an exact energy add
  ``sum_i w_i * N(0, 1/shots)``: one normal draw of variance ``1/shots`` per term, in term order.
* :func:`sampled_energy`: true sampling.  For each qubit-wise commuting group of the Hamiltonian
  (:meth:`~qnoise.hamiltonian.Hamiltonian.qwc_groups`, in that order) the engine's
  ``probabilities(basis)`` gives the ``2^n`` ideal outcome probabilities when qubit q is measured in
  the basis of code ``basis[q]`` (0 or 3: Z, 1: X, 2: Y; bit q of the outcome index = qubit q).
  The per-qubit readout assignment matrices (``matrix[true, measured]``) are applied exactly,
  ``shots`` outcomes are drawn with one ``rng.multinomial`` per group and each term of the group is
  estimated by the mean of ``(-1)^(parity of the outcome bits on its support)``.

Readout mitigation (``mitigation="readout"``; ``"none"`` is the default everywhere): the measured
outcomes are corrected with the tensor product of the inverse per-qubit assignment matrices
(:func:`mitigate_distribution`).  For a term on support S this is the same as averaging the
single-shot value ``prod_{q in S} (s_q - a_q) / c_q`` instead of the parity ``prod s_q``
(``s_q = +-1`` the read sign, ``a_q = P(0|1) - P(1|0)``, ``c_q = 1 - P(1|0) - P(0|1)``; see
:mod:`qnoise.hamiltonian`): unbiased for the ideal parity, because a read sign averages to
``a_q + c_q z_q`` given the true sign ``z_q`` and errors are independent per qubit.  Hence:

* :func:`mitigated_expectations`: mitigated term values from one basis's measured distribution or
  counts (for outcomes from anywhere, a device included);
* :func:`measured_energy`: the exact (infinite-shot) energy the procedure reports, as measured or
  mitigated; mitigated, it is ``Tr(rho H)`` of the gate-noisy state, readout errors undone;
* :func:`sampled_energy`/:func:`sampled_expectations` with ``mitigation="readout"``: the same
  ``shots`` outcomes (same random draws as without mitigation), mitigated; the standard error is
  estimated from the samples, each group's per-shot value being ``sum_i w_i prod_q (s_q - a_q)/c_q``;
* the Gaussian model with mitigation (:func:`shot_noise_coeffs`): the exact mitigated energy plus
  ``sum_i (w_i / prod_{q in S_i} c_q) N(0, 1/shots)``: the paper's per-term variance ``1/shots``
  amplified by the mitigation's scale ``1 / prod c_q`` of each term (the offsets ``a_q`` change a
  single-shot value's second moment at first order only, ``(s_q - a_q)^2 = 1 + a_q^2 - 2 a_q s_q``;
  the model neglects that, as the paper's neglects ``<P>^2``).

Mitigation needs ``P(1|0) + P(0|1) < 1`` on every qubit with a readout error (else a
:class:`~qnoise.errors.ValidationError` names the qubit).  Without readout errors it changes nothing:
the results are those of ``mitigation="none"``, bit for bit.

Random numbers come from a NumPy ``Generator``; :func:`as_generator` turns a seed into one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .errors import ValidationError
from .hamiltonian import Hamiltonian, bit_parity, normalize_readout_errors, readout_affine

PROB_ATOL = 1e-8
#: an engine's ``probabilities(basis)``: the ``2^n`` ideal outcome probabilities in that basis
Probabilities = Callable[[np.ndarray], np.ndarray]
#: what a measurement reports: ``"none"`` (the read bits as they are) or ``"readout"`` (mitigated)
MITIGATIONS = ("none", "readout")


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


def check_mitigation(mitigation) -> str:
    if not isinstance(mitigation, str) or mitigation not in MITIGATIONS:
        raise ValidationError(f"mitigation must be one of {MITIGATIONS}; got {mitigation!r}")
    return mitigation


def gaussian_shot_noise(energy: float, coeffs, shots: int, rng=None) -> float:
    """``energy + sum_i coeffs[i] * N(0, 1/shots)`` (one draw per term, in term order)."""
    shots = check_shots(shots)
    w = np.asarray(coeffs, dtype=float).ravel()
    if not np.all(np.isfinite(w)) or not np.isfinite(energy):
        raise ValidationError("energy and coefficients must be finite")
    noise = as_generator(rng).normal(0.0, 1.0 / np.sqrt(shots), size=w.size)
    return float(energy + w @ noise)


def _per_qubit(p: np.ndarray, matrices: list) -> np.ndarray:
    """``p`` (length 2^n, bit q = qubit q) times the tensor product of the 2x2 ``matrices[q]`` (None:
    identity), acting on each qubit's bit as a row vector: ``p'[m] = sum_t p[t] M[t, m]``."""
    n = p.size.bit_length() - 1
    for q, m in enumerate(matrices):
        if m is not None:
            block = p.reshape(1 << (n - 1 - q), 2, 1 << q)
            p = np.einsum("atb,tm->amb", block, m).reshape(-1)
    return p


def apply_readout(probs: np.ndarray, readout_errors) -> np.ndarray:
    """Measured-outcome distribution: each qubit's bit passed through its assignment matrix.

    ``probs`` has length 2^n (bit q of the index = qubit q); ``readout_errors`` is a list of n
    ReadoutError-or-None (or anything :func:`~qnoise.hamiltonian.normalize_readout_errors` takes).
    """
    p = np.asarray(probs, dtype=float)
    n = p.size.bit_length() - 1
    return _per_qubit(p, [None if e is None else e.matrix for e in normalize_readout_errors(readout_errors, n)])


def mitigate_distribution(measured, readout_errors) -> np.ndarray:
    """Readout-mitigated quasi-probabilities: the inverse of :func:`apply_readout`.

    ``measured``: the 2^n measured outcome probabilities, or counts (normalised by their sum).  Each
    qubit's bit goes through the inverse of its assignment matrix (the tensor-product inverse), so
    the result may have small negative entries; it sums to 1.  Raises ValidationError naming a qubit
    whose readout error cannot be inverted (``P(1|0) + P(0|1) >= 1``).
    """
    p = np.asarray(measured, dtype=float).ravel()
    n = p.size.bit_length() - 1
    if p.size < 2 or p.size != 1 << n or not np.all(np.isfinite(p)) or p.min() < 0 or p.sum() <= 0:
        raise ValidationError(
            f"measured must be 2^n non-negative probabilities or counts, not all zero; got {p.size} values"
        )
    errs = normalize_readout_errors(readout_errors, n)
    readout_affine(errs, n, invert=True)  # a clear error for a qubit that cannot be inverted
    matrices = [None if e is None else np.linalg.inv(e.matrix) for e in errs]
    return _per_qubit(p / p.sum(), matrices)


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


def _inverse_tables(readout_errors, num_qubits: int, mitigation: str):
    """``(scale, offset)`` arrays over the qubits (``1/c_q``, ``-a_q/c_q``; 1 and 0 without error)
    for ``mitigation="readout"``; None when nothing is to be mitigated (then the plain parities)."""
    if check_mitigation(mitigation) == "none":
        return None
    affine = readout_affine(readout_errors, num_qubits, invert=True)
    if all(pair is None for pair in affine):
        return None
    scale = np.array([1.0 if pair is None else pair[0] for pair in affine])
    offset = np.array([0.0 if pair is None else pair[1] for pair in affine])
    return scale, offset


def _term_values(outcomes: np.ndarray, masks: np.ndarray, tables) -> np.ndarray:
    """``(terms, outcomes)``: each term's single-shot value on each read outcome.  Without
    ``tables`` the parity sign ``+-1`` on the term's support ``masks[t]``; with them the mitigated
    ``prod_{q in S} (s_q - a_q) / c_q = prod_q (offset_q + scale_q s_q)``."""
    if tables is None:
        return np.array([1 - 2 * bit_parity(outcomes & m) for m in masks]).reshape(len(masks), -1)
    scale, offset = tables
    values = np.ones((len(masks), outcomes.size))
    for q in range(scale.size):
        on = ((masks >> q) & 1).astype(bool)
        if on.any():
            read_one = ((outcomes >> q) & 1).astype(bool)
            values[on] *= np.where(read_one, offset[q] - scale[q], offset[q] + scale[q])
    return values


def _group_samples(
    probabilities: Probabilities, hamiltonian: Hamiltonian, shots, rng, readout_errors, mitigation="none", exact=False
):
    """Per QWC group (in order): its term positions, the weights of the outcomes (drawn counts, or
    with ``exact`` the exact measured probabilities of all outcomes) and the ``(terms,
    outcomes)`` matrix of each term's single-shot value on them (:func:`_term_values`)."""
    if not exact:
        shots, rng = check_shots(shots), as_generator(rng)
    n = hamiltonian.num_qubits
    errs = normalize_readout_errors(readout_errors, n)
    tables = _inverse_tables(errs, n, mitigation)
    masks = _support_masks(hamiltonian)
    for basis, positions in hamiltonian.qwc_groups():
        p = _checked_probabilities(probabilities(basis.copy()), n)
        p = np.clip(apply_readout(p, errs), 0.0, None)
        if exact:
            hit = np.arange(p.size, dtype=np.int64)
            yield positions, p / p.sum(), _term_values(hit, masks[positions], tables)
            continue
        counts = rng.multinomial(shots, p / p.sum())
        hit = np.flatnonzero(counts)
        yield positions, counts[hit], _term_values(hit, masks[positions], tables)


def mitigated_expectations(measured, hamiltonian: Hamiltonian, readout_errors, positions=None) -> np.ndarray:
    """Readout-mitigated expectation values of the terms ``positions`` (default: all) of
    ``hamiltonian`` from the *measured* outcome distribution of one basis in which they are all
    measured (qubit-wise commuting, e.g. a group of :meth:`~qnoise.hamiltonian.Hamiltonian.qwc_groups`).

    ``measured``: 2^n measured probabilities, or counts of the read outcomes (normalised by their
    sum); bit q of the index is qubit q's read bit.  Each term's value is the mean of
    ``prod_{q in S} (s_q - a_q) / c_q`` over the outcomes: its parity under
    :func:`mitigate_distribution` of ``measured``.  For exact measured probabilities the result is
    the ideal ``<P>``; for counts, an unbiased estimate of it.
    """
    n = hamiltonian.num_qubits
    w = np.asarray(measured, dtype=float).ravel()
    if w.size != 1 << n or not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
        raise ValidationError(
            f"measured must be 2^{n} = {1 << n} non-negative probabilities or counts, not all zero; got {w.size} values"
        )
    pos = np.arange(hamiltonian.num_terms) if positions is None else np.asarray(positions, dtype=np.int64).ravel()
    tables = _inverse_tables(readout_errors, n, "readout")
    values = _term_values(np.arange(w.size, dtype=np.int64), _support_masks(hamiltonian)[pos], tables)
    return values @ (w / w.sum())


def measured_energy(
    probabilities: Probabilities, hamiltonian: Hamiltonian, readout_errors=None, mitigation: str = "none"
) -> float:
    """The exact (infinite-shot) energy that the measurement of :func:`sampled_energy` reports:
    per QWC group the exact measured distribution (readout errors applied), each term's mean
    single-shot value on it, ``constant + sum_i w_i m_i``.  ``mitigation="none"``: the measured
    energy (that of :meth:`~qnoise.hamiltonian.Hamiltonian.readout_folded`); ``"readout"``: the
    mitigated one, equal to ``Tr(rho H)`` with ``rho`` the state before measurement."""
    w = hamiltonian.coeffs
    energy = hamiltonian.constant
    samples = _group_samples(probabilities, hamiltonian, None, None, readout_errors, mitigation, exact=True)
    for positions, weights, values in samples:
        energy += w[positions] @ (values @ weights)
    return float(energy)


def sampled_expectations(
    probabilities: Probabilities,
    hamiltonian: Hamiltonian,
    shots: int,
    rng=None,
    readout_errors=None,
    mitigation: str = "none",
) -> tuple[np.ndarray, np.ndarray]:
    """Per-term sampled expectation values and their standard errors ``sqrt((1 - m^2) / shots)``.

    ``shots`` outcomes per QWC group (see the module docstring); one multinomial draw per group.
    With ``mitigation="readout"`` the values are mitigated (same draws) and the standard errors are
    ``sqrt((mean of v^2 - m^2) / shots)`` over the single-shot values ``v``."""
    tables = _inverse_tables(readout_errors, hamiltonian.num_qubits, mitigation)
    est = np.zeros(hamiltonian.num_terms)
    second = np.ones(hamiltonian.num_terms)
    samples = _group_samples(probabilities, hamiltonian, shots, rng, readout_errors, mitigation)
    for positions, counts, values in samples:
        est[positions] = values @ counts / shots
        if tables is not None:
            second[positions] = values**2 @ counts / shots
    stderr = np.sqrt(np.clip(second - est**2, 0.0, None) / shots)
    return est, stderr


def sampled_energy(
    probabilities: Probabilities,
    hamiltonian: Hamiltonian,
    shots: int,
    rng=None,
    readout_errors=None,
    return_stderr: bool = False,
    mitigation: str = "none",
):
    """``constant + sum_i w_i m_i`` with ``m_i`` from :func:`sampled_expectations`.

    With ``return_stderr``: ``(energy, standard error)``, the error estimated from the samples
    themselves: each group contributes the sample variance of its per-shot value
    ``sum_{i in group} w_i v_i`` over ``shots`` (``v_i`` the term's single-shot value: its parity
    ``+-1``, or mitigated ``prod_q (s_q - a_q)/c_q``; terms of one group share their shots, so they
    are correlated; groups are independent)."""
    w = hamiltonian.coeffs
    energy, variance = hamiltonian.constant, 0.0
    samples = _group_samples(probabilities, hamiltonian, shots, rng, readout_errors, mitigation)
    for positions, counts, signs in samples:
        values = w[positions] @ signs  # the group's energy on each drawn outcome
        mean = counts @ values / shots
        energy += mean
        if shots > 1:
            variance += counts @ (values - mean) ** 2 / (shots - 1) / shots
    energy = float(energy)
    return (energy, float(np.sqrt(variance))) if return_stderr else energy


def shot_noise_coeffs(hamiltonian: Hamiltonian, readout_errors=None, mitigation: str = "none") -> np.ndarray:
    """The coefficients of the Gaussian model's noise ``sum_i coeffs[i] N(0, 1/shots)``: the
    Hamiltonian's ``w_i`` (the same array), or with ``mitigation="readout"`` ``w_i / prod_{q in
    S_i} c_q``, the mitigation's amplification of each term's shot noise (module docstring)."""
    n = hamiltonian.num_qubits
    tables = _inverse_tables(normalize_readout_errors(readout_errors, n), n, mitigation)
    if tables is None:
        return hamiltonian.coeffs
    return hamiltonian.coeffs * np.prod(np.where(hamiltonian.codes != 0, tables[0], 1.0), axis=1)


def gaussian_stderr(coeffs, shots: int) -> float:
    """Standard deviation of :func:`gaussian_shot_noise`: ``sqrt(sum_i w_i^2 / shots)``."""
    w = np.asarray(coeffs, dtype=float).ravel()
    return float(np.sqrt(w @ w / check_shots(shots)))


__all__ = [
    "MITIGATIONS",
    "apply_readout",
    "as_generator",
    "check_mitigation",
    "check_shots",
    "gaussian_shot_noise",
    "gaussian_stderr",
    "measured_energy",
    "mitigate_distribution",
    "mitigated_expectations",
    "sampled_energy",
    "sampled_expectations",
    "shot_noise_coeffs",
]
