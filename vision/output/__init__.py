"""What a measurement becomes for people: drawings, annotated video and peak frame, HTML and PDF reports."""
