"""sb3-contrib ``MaskablePPO`` as the second agent, and the registry of agents ``crlqas train`` knows.

``make_agent(name, env, seed, **kwargs)`` builds any of:

* ``"dqn"``: the paper's :class:`agents.dqn.MaskedDQN` (its defaults come from the preset);
* ``"maskable-ppo"``: ``sb3_contrib.MaskablePPO`` (masks from the env's ``action_masks()``);
* ``"sb3:<Name>"``: any other stable-baselines3 / sb3-contrib algorithm class by name (for example
  ``sb3:A2C``, ``sb3:QRDQN``); these ignore the action masks unless the algorithm reads them.
"""

from __future__ import annotations

from typing import Any

import torch as th

from crlqas.qnoise.errors import ValidationError

__all__ = ["AGENTS", "agent_class", "make_agent", "ppo_defaults"]

AGENTS = ("dqn", "maskable-ppo", "sb3:<Algorithm>")

_ACTIVATIONS = {
    "leaky_relu": th.nn.LeakyReLU,
    "relu": th.nn.ReLU,
    "tanh": th.nn.Tanh,
    "elu": th.nn.ELU,
    "gelu": th.nn.GELU,
}


def ppo_defaults(max_steps: int) -> dict[str, Any]:
    """MaskablePPO settings used by the presets' ``agent = "maskable-ppo"`` variant: those that differ
    from sb3-contrib's defaults (the others, e.g. learning rate 3e-4, 10 epochs, gamma 0.99 and GAE
    lambda 0.95, are the library's)."""
    return dict(n_steps=512, batch_size=128, ent_coef=0.01, policy_kwargs=dict(net_arch=[256, 256]))


def agent_class(name: str):
    """The algorithm class behind an agent name (see the module docstring)."""
    if name == "dqn":
        from .dqn import MaskedDQN

        return MaskedDQN
    if name == "maskable-ppo":
        from sb3_contrib import MaskablePPO

        return MaskablePPO
    if name.startswith("sb3:"):
        import sb3_contrib
        import stable_baselines3

        cls_name = name[4:]
        for module in (stable_baselines3, sb3_contrib):
            cls = getattr(module, cls_name, None)
            if isinstance(cls, type):
                return cls
        raise ValidationError(
            f"agent {name!r}: no algorithm {cls_name!r} in stable_baselines3 or sb3_contrib (e.g. sb3:A2C, sb3:QRDQN)"
        )
    raise ValidationError(f"unknown agent {name!r}; allowed: {', '.join(AGENTS)}")


def resolve_policy_kwargs(policy_kwargs: dict | None) -> dict:
    """Turn a TOML-friendly ``{net_arch = [...], activation = "leaky_relu"}`` into SB3's form."""
    kw = dict(policy_kwargs or {})
    act = kw.pop("activation", None)
    if act is not None:
        if act not in _ACTIVATIONS:
            raise ValidationError(f"agent.policy_kwargs.activation {act!r}; allowed: {', '.join(sorted(_ACTIVATIONS))}")
        kw["activation_fn"] = _ACTIVATIONS[act]
    return kw


def make_agent(
    name: str, env, seed: int | None = None, tensorboard_log: str | None = None, device: str = "cpu", **kwargs
):
    """Build agent ``name`` on the (vectorised) ``env`` with hyper-parameters ``kwargs``; its networks
    live on torch device ``device`` (``"cpu"`` or ``"cuda"``: see
    :func:`crlqas.agents.config.resolve_device`)."""
    cls = agent_class(name)
    kwargs = dict(kwargs)
    kwargs["policy_kwargs"] = resolve_policy_kwargs(kwargs.get("policy_kwargs"))
    policy = kwargs.pop("policy", "MlpPolicy")
    try:
        return cls(policy, env, seed=seed, tensorboard_log=tensorboard_log, device=device, **kwargs)
    except TypeError as exc:
        raise ValidationError(f"agent {name!r}: bad hyper-parameter ({exc})") from None
