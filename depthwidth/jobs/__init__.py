"""What a workflow job needs, and what a user sees of a run (layer 0).

- ``artifacts``: atomic, validated reading and writing of every file the workflow makes.
- ``runtime``: a job's log, thread count and progress reports.
- ``sources``: a script's code inputs, the package modules it imports.
- ``outcome``: the report's labels settled and the run's closing message.
- ``store``: the store of finished students, so that a rerun batch trains only the students it lacks.
"""
