"""Depth vs width: how wide must a shallow network be to imitate a deep one?

Modules, in the order the workflow uses them:

- ``config``: the experiment as frozen dataclasses, and the cross-key checks a schema cannot express.
- ``nets``: bias-free MLPs as lists of weight matrices; teacher and student construction.
- ``artifacts``: atomic, validated reading and writing of every file the workflow makes.
- ``engine``: full-batch Adam training with phased learning-rate schedules.
- ``scaling``: the log-log fit of error against width and its extrapolation.
- ``expressivity``: a circle pushed through deep random nets.
- ``figures``: every plot.
"""

__version__ = "0.1.0"
