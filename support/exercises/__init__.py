"""Checkers for the exercises that end each lesson: one module per lesson, one checker per exercise.

Every checker is made with :func:`support.exercises.checking.checker`, so it behaves the same way in every
lesson: it prints one stable line (○ not tried yet, ✘ with a hint, ✔ passed) and never raises into the
notebook. Model answers live in ``notebooks/solutions/``, which run them through these same checkers.
"""
