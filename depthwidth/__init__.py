"""Depth vs width: how wide must a shallow network be to imitate a deep one?

The package, in layers (each imports only its own layer and those below; tests/test_layout.py):

- ``experiment`` (0): what the experiment is and where its files go, without torch: the config,
  the plan of regimes, students and batches, the results paths, the files a config makes, the
  cluster requests.
- ``jobs`` (0): what a workflow job needs: files written atomically and checked, its log, threads
  and progress, its code inputs; the run's closing message and report labels.
- ``theory`` (0): what the mean-field theory predicts, and the phase diagram (numpy only).
- ``model`` (1): bias-free MLPs, the teacher with its data, a circle through deep random nets.
- ``training`` (2): full-batch Adam for batches of students (native C loop or torch), checkpoints,
  Levenberg-Marquardt and the converged students.
- ``analysis`` (3): tables read back from the results: runs, scaling fits, the two studies' tables.
- ``presentation`` (4): every figure, the captions' numbers, one style.
"""

__version__ = "0.1.0"
