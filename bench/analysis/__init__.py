"""Regression statistics: the decision rule, the noise model that proves it, change points in history.

Pure modules over numbers: no file or network I/O, no printing.
"""
