"""bench qualify: criteria from the model cards and the baselines, a soak, one report with a verdict."""
