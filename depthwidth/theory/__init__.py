"""What the theory predicts, and random nets to check it (layer 2).

- ``meanfield``: the mean-field theory of deep tanh nets (length map, chi_1, correlation map, depth scale).
- ``phase``: the (sigma_w, sigma_b) phase diagram: theory on a grid, critical line, simulated chi_1.
- ``expressivity``: a circle pushed through deep random nets; curve lengths.
"""
