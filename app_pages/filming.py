"""How to film the test (shown on the Measure and Live camera pages)."""

FILMING_GUIDE = """
**Before filming** (about 1 minute):
1. **Camera at shin height**, 2-3 m away, **side-on** to the tested (front) leg — not from the front.
2. **Whole foot and knee in the picture** the whole time; shorts or tight trousers help.
3. A **marker or an A4 sheet on the floor beside the foot, its edges parallel to the foot** (or enter your
   foot length in the sidebar) gives centimetres, and how far the camera is turned from side-on; without it
   you get the angle only.
4. Face the wall, front foot a hand's width from it, **heel down**. Rock the knee slowly forward toward the
   wall and back, **2-3 times**, holding the deepest point for a second. Keep the heel on the floor.
5. Film 5-15 s. Landscape or portrait, mov or mp4 (HEVC is fine).
"""
