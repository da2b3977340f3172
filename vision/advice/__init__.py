"""What a measurement means: the norms and their sources, and the drills that follow from them."""
