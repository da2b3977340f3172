"""Stage 2, the scene: the camera's orientation, the floor's scale (marker, sheet, foot) and the wall in front
of the foot."""
