"""What the experiment is and where its files go (layer 0, no torch: Snakemake plans with it).

- ``config``: the config read strictly and validated: schema, per-key messages, cross-key rules.
- ``errors``: ``ConfigError``, the error of a bad config.
- ``sizes``: layer sizes and parameter counts of bias-free MLPs.
- ``plan``: regimes (named and generated), students, their sizes and schedules, random streams, batches.
- ``paths``: every file under ``results/`` and the names of students and generated regimes.
- ``targets``: the files a config makes, by kind, and the named targets.
- ``resources``: what each job asks a cluster for, and its priority.
"""
