"""Stage 1, the person: MediaPipe's landmarks in pixels, the tested leg, the clip's checks, and what is read
off the person (the front of the shin, the toe tip)."""
