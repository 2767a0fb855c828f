"""Breast-cancer screening classifier: the example model repository gated by mlgate."""
