"""Depth vs width: how wide must a shallow network be to imitate a deep one?

Modules, in the order the workflow uses them:

- ``config``: ``validate()``: ``--config`` values read as YAML, the schema check, the cross-key
  rules a schema cannot express; the ``device: cuda`` check.
- ``plan``: regimes, student names, sizes and schedules, random streams and batches (no torch).
- ``errors``: ``ConfigError``, raised by both ``config`` and ``plan``.
- ``sources``: a script's code inputs, the package modules it imports.
- ``nets``: bias-free MLPs as lists of weight matrices; teacher and student construction; seeds.
- ``teacher``: a teacher and its data, drawn in the tutorial's order.
- ``engine``: full-batch Adam for a batch of students of one architecture, with phased learning
  rates, natively or compiled where it can, checkpointed.
- ``native``: the native training loop (a C kernel built once per machine), its cache and call.
- ``checkpoint``: the training checkpoint file of a batch.
- ``students``: a student's initial weights, the training of a batch and its relative errors.
- ``levmar``: float64 Levenberg-Marquardt for bias-free MLPs, with an exact Jacobian.
- ``polish``: converged students: a student polished to its basin's bottom, the search over starts.
- ``scaling``: the log-log fit of error against width, its extrapolation and bootstrap intervals.
- ``expressivity``: a circle pushed through deep random nets.
- ``theory``: the mean-field theory of deep tanh nets (length map, chi_1, correlation map).
- ``phase``: the (sigma_w, sigma_b) phase diagram: theory on a grid, critical line, simulated chi_1.
- ``study``: the sigma sweep's numbers: the linear reference and the tables behind its figures.
- ``depth_study``: the teacher-depth study's tables: error, width needed, deep student by depth.
- ``results``, ``captions``: tables and report captions read back from the results.
- ``style``, ``figures``: every plot.
- ``artifacts``: atomic, validated reading and writing of every file the workflow makes.
- ``runtime``: each job's log, thread count and progress reports.
"""

__version__ = "0.1.0"
