"""Draws media/icon.png, the 128x128 marketplace icon (Debian: apt-get install python3-pil).

A segmentation seen from above: a grey cell (the image), its predicted mask outlined in orange, and a
sigmoid curve across it (the head SegLab compares with softmax). Run: /usr/bin/python3 scripts/make-icon.py
"""
import math
import os

from PIL import Image, ImageDraw

S = 4  # drawn at 4x, then downsampled for smooth edges
W = 128 * S
img = Image.new("RGBA", (W, W), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
d.rounded_rectangle([0, 0, W - 1, W - 1], radius=22 * S, fill=(24, 40, 72, 255))
# the cell: an irregular blob (radius varies with angle)
cx, cy = 60 * S, 66 * S
blob = [
    (cx + (36 + 5 * math.sin(3 * a) + 3 * math.cos(5 * a)) * S * math.cos(a),
     cy + (32 + 5 * math.sin(3 * a) + 3 * math.cos(5 * a)) * S * math.sin(a))
    for a in [2 * math.pi * k / 180 for k in range(180)]
]
d.polygon(blob, fill=(150, 160, 175, 255))
d.line(blob + [blob[0]], fill=(255, 153, 51, 255), width=5 * S)
# the sigmoid: y = 1 / (1 + e^-x) across the icon
pts = []
for k in range(101):
    x = -6 + 12 * k / 100
    pts.append(((14 + 100 * k / 100) * S, (108 - 88 / (1 + math.exp(-x))) * S))
d.line(pts, fill=(120, 220, 255, 255), width=6 * S, joint="curve")
out = os.path.join(os.path.dirname(__file__), "..", "media", "icon.png")
img.resize((128, 128), Image.LANCZOS).save(out, optimize=True)
print("wrote", os.path.normpath(out))
