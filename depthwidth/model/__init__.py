"""The nets (layer 1).

- ``nets``: bias-free MLPs as lists of weight matrices; inits; teacher and student construction; seeds.
- ``teacher``: a teacher and its data, drawn in the tutorial's order.
- ``expressivity``: a circle pushed through deep random nets; curve lengths.
"""
