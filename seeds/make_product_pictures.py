"""Draws the demo catalogue's product pictures (issue 14) into static/demo-listings/products/: eight
distinct products, each in its own shapes and colours so that their perceptual hashes lie far apart, and four
copies of each as a counterfeiter reuses a picture (resized, recompressed as JPEG, slightly recoloured,
slightly cropped), whose hashes lie a few bits from the original's. Deterministic: running it again writes the
same pictures. tests/marketplace/test_product_pictures.py checks the distances.

    .venv/bin/python seeds/make_product_pictures.py
"""

import io
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance

SIZE = 256
OUT = Path(__file__).resolve().parent.parent / "static" / "demo-listings" / "products"
Draw = ImageDraw.ImageDraw


def sneaker(d: Draw) -> None:
    d.polygon([(30, 170), (60, 110), (120, 100), (150, 130), (225, 150), (230, 190), (30, 190)], fill="#1f6fd1")
    d.rectangle([25, 188, 235, 212], fill="#f2f2f2", outline="#333333", width=3)
    for x in range(80, 140, 15):
        d.line([(x, 112), (x + 10, 135)], fill="white", width=4)
    d.arc([120, 120, 220, 200], 200, 330, fill="#ffcc00", width=8)


def handbag(d: Draw) -> None:
    d.arc([20, 60, 120, 170], 180, 360, fill="#f0e0c0", width=10)
    d.rounded_rectangle([5, 110, 140, 250], radius=18, fill="#b5651d")
    d.rectangle([55, 150, 90, 175], fill="#ffd700")
    d.polygon([(150, 20), (250, 20), (250, 90)], fill="#f0e0c0")


def watch(d: Draw) -> None:
    d.rectangle([103, 0, 153, 256], fill="#222222")
    d.ellipse([58, 58, 198, 198], fill="#c0c0c0", outline="#555555", width=8)
    d.ellipse([78, 78, 178, 178], fill="#fdfdf5")
    d.line([(128, 128), (128, 92)], fill="black", width=6)
    d.line([(128, 128), (160, 140)], fill="black", width=4)


def perfume(d: Draw) -> None:
    d.rectangle([108, 20, 148, 60], fill="#d4af37")
    d.rectangle([118, 60, 138, 80], fill="#999999")
    d.polygon([(60, 80), (196, 80), (220, 230), (36, 230)], fill="#e75480")
    d.rectangle([90, 140, 166, 180], fill="white")


def headphones(d: Draw) -> None:
    d.arc([40, 30, 216, 200], 180, 360, fill="#111111", width=18)
    d.rounded_rectangle([25, 110, 85, 210], radius=20, fill="#cc0000")
    d.rounded_rectangle([171, 110, 231, 210], radius=20, fill="#cc0000")


def sunglasses(d: Draw) -> None:
    d.line([(20, 100), (236, 100)], fill="#333333", width=10)
    d.ellipse([30, 90, 120, 170], fill="#0b3d2e")
    d.ellipse([136, 90, 226, 170], fill="#0b3d2e")
    d.line([(118, 120), (138, 120)], fill="#333333", width=8)


def teddy(d: Draw) -> None:
    for box in ([50, 30, 100, 80], [156, 30, 206, 80]):
        d.ellipse(box, fill="#8b5a2b")
    d.ellipse([60, 50, 196, 180], fill="#a0522d")
    d.ellipse([70, 150, 186, 250], fill="#a0522d")
    d.ellipse([105, 110, 151, 150], fill="#deb887")
    d.ellipse([95, 85, 110, 100], fill="black")
    d.ellipse([146, 85, 161, 100], fill="black")


def lamp(d: Draw) -> None:
    d.polygon([(70, 40), (186, 40), (226, 130), (30, 130)], fill="#ffe066")
    d.rectangle([122, 130, 134, 220], fill="#444444")
    d.rectangle([70, 220, 186, 240], fill="#444444")
    d.ellipse([100, 130, 156, 160], fill="#fff5b0")


BACKGROUNDS = {"sneaker": "#f4f4f4", "handbag": "#303030", "watch": "#ffffff", "perfume": "#f7efe0",
               "headphones": "#fafafa", "sunglasses": "#fff0f0", "teddy": "#e6ffe6", "lamp": "#202040"}
PRODUCTS: dict[str, Callable[[Draw], None]] = {
    "sneaker": sneaker, "handbag": handbag, "watch": watch, "perfume": perfume, "headphones": headphones,
    "sunglasses": sunglasses, "teddy": teddy, "lamp": lamp}


def original(name: str) -> Image.Image:
    picture = Image.new("RGB", (SIZE, SIZE), BACKGROUNDS[name])
    PRODUCTS[name](ImageDraw.Draw(picture))
    return picture


def variants(picture: Image.Image) -> dict[str, Image.Image]:
    """A counterfeiter's copies: smaller, recompressed as a JPEG, a little warmer and brighter, cropped at the edges."""
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=35)
    warmer = ImageEnhance.Color(ImageEnhance.Brightness(picture).enhance(1.08)).enhance(1.2)
    return {"resized": picture.resize((180, 180), Image.Resampling.LANCZOS),
            "recompressed": Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"),
            "recoloured": warmer,
            "cropped": picture.crop((4, 4, SIZE - 4, SIZE - 4))}


def save(picture: Image.Image, path: Path) -> None:
    # 64 colours: a few kilobytes a picture, and the hash of the picture as drawn within a bit or two.
    picture.quantize(colors=64, dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in PRODUCTS:
        picture = original(name)
        save(picture, OUT / f"{name}.png")
        for variant, copy in variants(picture).items():
            save(copy, OUT / f"{name}-{variant}.png")
    sys.stdout.write(f"{len(PRODUCTS) * 5} pictures in {OUT}\n")


if __name__ == "__main__":
    main()
