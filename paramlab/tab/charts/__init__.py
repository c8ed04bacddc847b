"""The cost / quality charts section and the run view beside it."""
