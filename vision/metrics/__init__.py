"""Stage 3, the measures: per-frame series cleaned into reps, the shin angles and the centimetres along the
floor."""
