"""IBM-calibrated device noise models, named presets, and conversion to native gates.

>>> from crlqas.qnoise.devices import noise_preset, list_presets, device_preset
>>> "mumbai-median" in list_presets()
True
>>> nm = noise_preset("depol-1e-3")        # a qnoise.NoiseModel; no Qiskit needed
>>> dev = device_preset("ourense")           # a DeviceModel: noise model + figures + source

With Qiskit (``pip install 'crlqas[qiskit]'``), any ``BackendV2`` (the fake backends of
``qiskit_ibm_runtime.fake_provider`` offline, or a live one)::

    dev = from_backend("fake_sherbrooke", mode="native", layout="best", num_qubits=3)
    sim = dev.simulator(circuit, hamiltonian)      # circuit rewritten into rz/sx/x/ecr

* ``mode="native"``: Aer's ``NoiseModel.from_backend`` channels on the device's own gates (exactly
  equal); circuits are rewritten into the basis by :meth:`DeviceModel.compile`
  (:func:`~qnoise.devices.native.to_native`).  ``mode="paper"``: each rx/ry/rz is one noisy
  1-qubit gate and each CNOT one noisy 2-qubit gate (the CRLQAS experiments).  See
  :mod:`qnoise.devices.build`.
* ``layout``: physical qubits (logical ``i`` = ``layout[i]``), ``"best"`` (connected, low error;
  needs ``num_qubits``) or None (``"best"`` when ``num_qubits`` is given, else every qubit).
* ``reduce``: ``"median"``, ``"max"``, ``"10max"``: one uniform value per quantity
  (:mod:`qnoise.devices.reduce`), as the paper did for IBM Mumbai.

Presets (:func:`list_presets`) are JSON files written by ``python -m crlqas.qnoise.devices.generate --all``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import attach

if TYPE_CHECKING:
    from .calibration import Calibration
    from .model import DeviceModel

# Submodules load on first use, so that importing crlqas.qnoise.devices stays light (the CLI).
__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Calibration": "calibration",
        "UnknownBackendError": "calibration",
        "calibration_from_backend": "calibration",
        "fake_backend_names": "calibration",
        "resolve_backend": "calibration",
        "DeviceModel": "model",
        "GateNoise": "model",
        "ReadoutSpec": "model",
        "aer_depolarizing_param": "model",
        "to_native": "native",
        "UnknownPresetError": "presets",
        "device_preset": "presets",
        "is_preset": "presets",
        "list_presets": "presets",
        "noise_preset": "presets",
        "preset_info": "presets",
    },
    eager=("from_backend", "from_calibration", "load_device"),
)


def from_calibration(
    calibration: Calibration, mode: str = "native", layout=None, reduce=None, num_qubits=None, name=None
) -> DeviceModel:
    """Like :func:`from_backend` for an already extracted (or hand-made) :class:`Calibration`."""
    from .build import from_calibration as _build

    return _build(calibration, mode, layout, reduce, num_qubits, name)


def from_backend(backend, mode: str = "native", layout=None, reduce=None, num_qubits=None, name=None) -> DeviceModel:
    """A :class:`DeviceModel` from a Qiskit BackendV2 (or a fake backend's name, e.g.
    ``"fake_mumbai"``; or a :class:`Calibration`).

    ``mode``: ``"native"`` or ``"paper"``; ``layout``: list of physical qubits, ``"best"`` or None;
    ``reduce``: None, ``"median"``, ``"max"`` or ``"10max"``; ``num_qubits``: logical register
    width (for ``"best"`` and for reduced models; None = any width).
    """
    from .calibration import Calibration, calibration_from_backend, resolve_backend

    cal = backend if isinstance(backend, Calibration) else calibration_from_backend(resolve_backend(backend))
    return from_calibration(cal, mode, layout, reduce, num_qubits, name)


def load_device(spec, *, mode: str = "native", layout=None, reduce=None, num_qubits=None) -> DeviceModel:
    """A preset name, a ``qnoise-device-model/1`` JSON file path, or a backend (name or object)."""
    from pathlib import Path

    from ..errors import CrlqasError, InputFileError
    from .model import FORMAT, DeviceModel
    from .presets import device_preset, is_preset

    if is_preset(spec):
        return device_preset(spec)
    if isinstance(spec, (str, Path)) and str(spec).endswith(".json"):
        from ..fileio import read_json_object

        data = read_json_object(spec, "noise model file")
        try:
            return DeviceModel.from_dict(data)
        except CrlqasError as exc:
            raise InputFileError(f"noise model file {str(spec)!r}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise InputFileError(
                f"noise model file {str(spec)!r} is not a {FORMAT} model: {type(exc).__name__}: {exc}"
            ) from None
    if isinstance(spec, str):
        _check_backend_name(spec)
    return from_backend(spec, mode, layout, reduce, num_qubits)


def _check_backend_name(spec: str) -> None:
    """Unknown names that are neither presets nor backends get one message listing both."""
    from ..errors import MissingDependencyError
    from .calibration import UnknownBackendError, resolve_backend
    from .presets import UnknownPresetError, list_presets

    try:
        resolve_backend(spec)
    except MissingDependencyError:
        raise UnknownPresetError(
            f"{spec!r} is not a noise preset ({', '.join(list_presets())}); device "
            f"backends need qiskit-ibm-runtime: pip install 'crlqas[qiskit]'"
        ) from None
    except UnknownBackendError as exc:
        import difflib

        close = difflib.get_close_matches(spec.lower(), list_presets(), n=3, cutoff=0.5)
        near = f" Close presets: {', '.join(close)}." if close else ""
        raise UnknownPresetError(
            f"{spec!r} is neither a noise preset ({', '.join(list_presets())}) nor a fake backend.{near} {exc}"
        ) from None
