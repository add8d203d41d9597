"""Draws the Koppla source icon (1024x1024). Kept in the repo so the icon can be regenerated:
`python3 icons/make_icon.py && npx tauri icon icons/source.png -o icons`."""
from PIL import Image, ImageDraw, ImageFont

S = 1024
img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
d = ImageDraw.Draw(img)
d.rounded_rectangle([32, 32, S - 32, S - 32], radius=220, fill=(14, 116, 110, 255))
# Two linked rings: "koppla" means to connect.
d.ellipse([190, 300, 610, 720], outline=(255, 255, 255, 255), width=70)
d.ellipse([414, 300, 834, 720], outline=(255, 214, 90, 255), width=70)
img.save("source.png")
