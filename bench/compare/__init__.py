"""Baselines, comparisons of runs, and the verdicts that gate CI."""
