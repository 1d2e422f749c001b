"""The ``noise=`` argument of the primitives: what noise a circuit runs under, on which qubits.

:func:`resolve_noise_source` accepts

* ``None`` or ``"noiseless"``: no noise;
* a preset name (:func:`qnoise.devices.list_presets`, e.g. ``"mumbai-median"``) or a
  ``qnoise-device-model/1`` JSON file: that :class:`~qnoise.devices.model.DeviceModel` on the
  circuit's qubits (native-mode models rewrite circuits into their basis, as
  :meth:`DeviceModel.compile` does);
* a qnoise :class:`~qnoise.noise_model.NoiseModel` or ``DeviceModel``: on the circuit's qubits;
* a Qiskit ``BackendV2`` (or a fake backend's name such as ``"fake_manila"``): its calibration
  (:func:`qnoise.devices.calibration_from_backend`) as the native-mode device model on the
  *physical* qubits the circuit uses, so an ISA circuit (transpiled for the backend, on its
  layout) runs under the noise of exactly those qubits; equal to Aer's ``NoiseModel.from_backend``
  (``tests/test_devices_aer.py``);
* a ``qiskit_aer.noise.NoiseModel``: converted exactly (:func:`~.aer_noise.from_aer_noise_model`)
  on the qubits the circuit uses.

Sources are *compacting* when a qubit's noise does not depend on its number: a circuit is then
simulated on its active qubits only (touched by a gate, measured, or carrying an observable),
renumbered ``0..k-1``; idle qubits stay in ``|0>`` and qnoise has no idle noise, so nothing else
changes, and ISA circuits on the full width of a large device simulate.  Device-wide sources (a
backend, an Aer model: each active qubit gets its own numbers) and uniform ones (no noise, presets
and models without per-qubit entries) compact; a qnoise model with per-qubit entries applies to the
circuit's qubits as numbered.  Backends and Aer models may model noise during ``delay``
instructions (Aer's thermal-relaxation pass), which qnoise does not simulate: circuits with delays
are refused under them; other sources treat ``delay`` as identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..circuit import Circuit
from ..errors import MissingDependencyError, ValidationError
from ..noise_model import NoiseModel
from .aer_noise import from_aer_noise_model, has_delay_noise, is_aer_noise_model

#: (noise model on the compact qubits or None, circuit rewrite for it)
Resolved = tuple[NoiseModel | None, Callable[[Circuit], Circuit]]
_SAME: Callable[[Circuit], Circuit] = lambda circuit: circuit
NOISELESS = ("noiseless", "none", "ideal")


@dataclass
class NoiseSource:
    """A resolved ``noise=`` argument (see the module docstring)."""

    label: str
    compacts: bool
    delay_noise: bool
    build: Callable[[tuple[int, ...]], Resolved]
    _cache: dict = field(default_factory=dict, repr=False)

    def for_qubits(self, qubits: tuple[int, ...]) -> Resolved:
        """Noise model and circuit rewrite for a circuit on ``qubits`` (the circuit's qubit
        numbers of compact qubits ``0..k-1``); built once per qubit tuple."""
        key = tuple(qubits)
        if key not in self._cache:
            self._cache[key] = self.build(key)
        return self._cache[key]


def _device_source(device, label: str) -> NoiseSource:
    def build(qubits):
        model = device.restrict(len(qubits))
        return model.noise_model, model.compile

    uniform = device.num_qubits is None and all(g.qubits is None for g in device.gate_noise)
    uniform = uniform and all(r.qubit is None for r in device.readout)
    return NoiseSource(label, compacts=uniform, delay_noise=False, build=build)


def _backend_source(backend) -> NoiseSource:
    from ..devices import from_calibration
    from ..devices.calibration import calibration_from_backend

    cal = calibration_from_backend(backend)

    def build(qubits):
        model = from_calibration(cal, mode="native", layout=list(qubits))
        return model.noise_model, model.compile

    return NoiseSource(f"backend:{cal.name}", compacts=True, delay_noise=True, build=build)


def _aer_source(aer_model) -> NoiseSource:
    def build(qubits):
        return from_aer_noise_model(aer_model, qubits, name="aer"), _SAME

    return NoiseSource("aer-noise-model", compacts=True, delay_noise=has_delay_noise(aer_model), build=build)


def _is_backend(obj) -> bool:
    try:
        from qiskit.providers import BackendV2
    except ImportError:  # pragma: no cover - qiskit is installed with the primitives
        return False
    return isinstance(obj, BackendV2)


def _named_source(name: str) -> NoiseSource:
    from ..devices import device_preset, is_preset, list_presets, load_device
    from ..devices.calibration import UnknownBackendError, resolve_backend
    from ..devices.presets import UnknownPresetError

    if is_preset(name):
        return _device_source(device_preset(name), name.strip().lower())
    if name.endswith(".json"):
        return _device_source(load_device(name), Path(name).stem)
    try:
        return _backend_source(resolve_backend(name))
    except (UnknownBackendError, MissingDependencyError):
        raise UnknownPresetError(
            f"noise {name!r} is neither a noise preset ({', '.join(list_presets())}), a .json device model "
            f"nor a fake backend name (e.g. 'fake_manila')"
        ) from None


def resolve_noise_source(noise) -> NoiseSource:
    """The :class:`NoiseSource` of a primitive's ``noise=`` argument (module docstring)."""
    from ..devices.model import DeviceModel

    if isinstance(noise, NoiseSource):
        return noise
    if noise is None or (isinstance(noise, str) and noise.strip().lower() in NOISELESS):
        return NoiseSource("noiseless", compacts=True, delay_noise=False, build=lambda qubits: (None, _SAME))
    if isinstance(noise, (str, Path)):
        return _named_source(str(noise))
    if isinstance(noise, NoiseModel):
        model = None if noise.is_ideal() else noise
        uniform = noise.max_qubit() < 0  # no per-qubit entries
        return NoiseSource(noise.name, compacts=uniform, delay_noise=False, build=lambda qubits: (model, _SAME))
    if isinstance(noise, DeviceModel):
        return _device_source(noise, noise.name)
    if is_aer_noise_model(noise):
        return _aer_source(noise)
    if _is_backend(noise):
        return _backend_source(noise)
    raise ValidationError(
        "noise must be None, a preset name, a qnoise NoiseModel or DeviceModel, a Qiskit BackendV2 or a "
        f"qiskit_aer NoiseModel; got {type(noise).__name__}"
    )
