"""Depth vs width: how wide must a shallow network be to imitate a deep one?

Modules, in the order the workflow uses them:

- ``config``: the config's schema check and the cross-key rules a schema cannot express.
- ``nets``: bias-free MLPs as lists of weight matrices; teacher and student construction.
- ``teacher``: a teacher and its data, drawn in the tutorial's order.
- ``engine``: full-batch Adam with phased learning rates, compiled where it can, checkpointed.
- ``students``: a student's initial weights, its training and its relative errors.
- ``scaling``: the log-log fit of error against width, its extrapolation and bootstrap intervals.
- ``expressivity``: a circle pushed through deep random nets.
- ``theory``: the mean-field theory of deep tanh nets (length map, chi_1, correlation map).
- ``study``: the sigma sweep: generated regimes, student names, the linear reference, bands.
- ``results``, ``captions``: tables and report captions read back from the results.
- ``style``, ``figures``: every plot.
- ``artifacts``: atomic, validated reading and writing of every file the workflow makes.
- ``runtime``: each job's log, thread count and progress reports.
"""

__version__ = "0.1.0"
