"""RL agents for quantum architecture search, on stable-baselines3 / sb3-contrib.

Modules (each loads torch and stable-baselines3 only where it needs them):

* :mod:`crlqas.agents.config`: the training configuration (``TrainConfig``), validated at load;
* :mod:`crlqas.agents.presets`: the paper's settings as named presets;
* :mod:`crlqas.agents.dqn` / :mod:`crlqas.agents.ppo`: masked double DQN with n-step returns (the
  paper's agent) and MaskablePPO;
* :mod:`crlqas.agents.train`: resumable, multi-seed training runs; :mod:`crlqas.agents.vecenv`:
  the envs of one seed (in-process or one process per env) and their threads;
* :mod:`crlqas.agents.callbacks`, :mod:`crlqas.agents.checkpoint`: the run's callback and its
  checkpoints;
* :mod:`crlqas.agents.runlog`: the run-directory format (its one writer and reader), a package:
  ``logs`` (CSV/TensorBoard logs), ``circuits`` (best-circuit records), ``checkpoints`` (the
  checkpoint directory format);
* :mod:`crlqas.agents.report`: the summary and text table of a run; :mod:`crlqas.agents.plots`: its
  learning curves and circuit drawings;
* :mod:`crlqas.agents.toy`: a toy task a correct agent must solve.
"""
