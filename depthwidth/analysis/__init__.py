"""Tables read back from the results (layer 3).

- ``results``: the runs' metrics and weights read back and checked; the summary's rows.
- ``scaling``: the log-log fit of error against width, its extrapolation and bootstrap intervals.
- ``sigma_study``: the sigma sweep's tables: the linear reference, seed bands, runs, circle lengths.
- ``depth_study``: the teacher-depth study's tables: error, width needed, deep student by depth.
"""
