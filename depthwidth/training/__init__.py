"""Training students (layer 2).

- ``engine``: full-batch Adam for a batch of students of one architecture, phased learning rates.
- ``native``: the native training loop (a C kernel built once per machine), its cache and call.
- ``checkpoint``: the training checkpoint file of a batch.
- ``students``: a student's initial weights, the training of a batch and its relative errors.
- ``levmar``: float64 Levenberg-Marquardt for bias-free MLPs, with an exact Jacobian.
- ``polish``: converged students: a student polished to its basin's bottom, the search over starts.
- ``reference``: plain autograd Adam and the tutorial's loop, which the engine is checked and timed against.
"""
