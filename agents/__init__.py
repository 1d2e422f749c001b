"""RL agents for quantum architecture search, on stable-baselines3 / sb3-contrib.

Modules (each loads torch and stable-baselines3 only where it needs them):

* :mod:`crlqas.agents.config`: the training configuration (``TrainConfig``), validated at load;
* :mod:`crlqas.agents.presets`: the paper's settings as named presets;
* :mod:`crlqas.agents.dqn` / :mod:`crlqas.agents.ppo`: masked double DQN with n-step returns (the
  paper's agent) and MaskablePPO;
* :mod:`crlqas.agents.train`: resumable, multi-seed training runs;
* :mod:`crlqas.agents.runlog`: the run-directory format (its one writer and reader);
* :mod:`crlqas.agents.report`: tables, learning curves and circuit drawings of a run;
* :mod:`crlqas.agents.toy`: a toy task a correct agent must solve.
"""
