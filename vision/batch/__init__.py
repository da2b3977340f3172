"""Many clips at once: the clips and their keys, the process pool and Ray engines, and the resumable
output."""
