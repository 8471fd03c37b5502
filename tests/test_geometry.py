"""The models' geometry in pure PIL equals torchvision's resize + center_crop, pixel for pixel."""

import numpy as np
import pytest
import torchvision.transforms.functional as TF
from PIL import Image

from authxai.data.geometry import resize_and_crop


def torchvision_geometry(image: Image.Image, resize: int, crop: int, nearest: bool) -> Image.Image:
    mode = TF.InterpolationMode.NEAREST if nearest else TF.InterpolationMode.BILINEAR
    return TF.center_crop(TF.resize(image, resize, interpolation=mode, antialias=True), crop)


@pytest.mark.parametrize("nearest", [False, True])
@pytest.mark.parametrize(
    ("size", "resize", "crop"),
    [
        ((300, 200), 256, 224),  # landscape, downscale
        ((199, 301), 256, 224),  # portrait, odd sides, upscale
        ((224, 224), 224, 224),  # already the model's size: untouched
        ((128, 128), 128, 100),  # odd margin: rounding of the crop's corner
        ((517, 389), 147, 147),
        ((100, 60), 40, 50),  # crop wider than the resized image: zero padding
    ],
)
def test_resize_and_crop_equals_torchvision(size, resize, crop, nearest):
    rng = np.random.default_rng(sum(size) + resize + crop)
    for mode, shape in (("RGB", (*size[::-1], 3)), ("L", size[::-1])):
        image = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode)
        ours = resize_and_crop(image, resize, crop, nearest)
        theirs = torchvision_geometry(image, resize, crop, nearest)
        assert ours.size == theirs.size
        assert np.array_equal(np.asarray(ours), np.asarray(theirs)), (size, resize, crop, mode)
