"""What the theory predicts (layer 0: numpy only, so the config checks can use it).

- ``meanfield``: the mean-field theory of deep tanh nets (length map, chi_1, correlation map, depth scale).
- ``phase``: the (sigma_w, sigma_b) phase diagram: theory on a grid, critical line, simulated chi_1.
"""
