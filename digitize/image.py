"""Loading a figure into the one pixel convention the digitizer uses.

Images are NumPy arrays of shape ``(height, width, 3)``, dtype uint8, in RGB
order, row 0 at the top. OpenCV decodes to BGR; the conversion happens here,
once, and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image  # Pillow comes with matplotlib; used only to read sizes before decoding

from kmipd.errors import InputError

#: Largest image accepted, in pixels: a journal figure at 600 dpi is ~20 megapixels.
MAX_PIXELS = 40_000_000
#: Smallest side accepted, in pixels: below this no tick label is legible.
MIN_SIDE_PX = 100
#: Largest file read, in bytes, so a wrong path cannot fill the memory.
MAX_FILE_BYTES = 200 * 1024 * 1024


def load_image(image_or_path) -> np.ndarray:
    """Read a figure as an RGB uint8 array.

    Parameters
    ----------
    image_or_path : str, Path or numpy.ndarray
        A PNG, JPEG or TIFF file, or an array that is grey ``(h, w)``,
        RGB ``(h, w, 3)`` or RGBA ``(h, w, 4)`` (transparent pixels are laid
        on white, as a page shows them). Float arrays are taken as 0-1.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 3)`` uint8, RGB, row 0 at the top.

    Raises
    ------
    InputError
        For a missing, unreadable or corrupt file, an empty image, one smaller
        than :data:`MIN_SIDE_PX` on a side or larger than :data:`MAX_PIXELS`
        (checked from the file header, before the pixels are decoded).
    """
    if isinstance(image_or_path, np.ndarray):
        image = _to_rgb(image_or_path)
    else:
        image = _read_file(Path(image_or_path))
    _check_size(image.shape[1], image.shape[0])
    return image


def _read_file(path: Path) -> np.ndarray:
    if not path.is_file():
        raise InputError(f"image file {path} does not exist", source=path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(f"image file is larger than {MAX_FILE_BYTES // 2**20} MB; "
                         "this is not a figure", source=path)
    try:
        with Image.open(path) as header:  # reads the header only
            width, height = header.size
    except Exception as error:  # Pillow raises many types for corrupt files
        raise InputError(f"not a readable PNG, JPEG or TIFF image ({type(error).__name__})",
                         source=path) from None
    try:
        _check_size(width, height)
    except InputError as error:
        error.source = str(path)
        raise
    encoded = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise InputError("the image data is corrupt or truncated", source=path)
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return _to_rgb(image)


def _to_rgb(array: np.ndarray) -> np.ndarray:
    """Grey, RGB or RGBA (uint8, uint16 or float 0-1) -> RGB uint8."""
    if array.size == 0:
        raise InputError("the image is empty")
    if array.dtype == np.uint16:
        array = (array // 257).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        array = np.clip(np.rint(np.nan_to_num(array) * 255), 0, 255).astype(np.uint8)
    elif array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"an image must be grey, RGB or RGBA; got an array of shape {array.shape}")
    if array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255
        blended = array[:, :, :3] * alpha + 255 * (1 - alpha)
        return np.rint(blended).astype(np.uint8)
    return np.ascontiguousarray(array)


def _check_size(width: int, height: int) -> None:
    if width == 0 or height == 0:
        raise InputError("the image is empty")
    if width * height > MAX_PIXELS:
        raise InputError(f"the image is {width}x{height} pixels, more than "
                         f"{MAX_PIXELS // 1_000_000} megapixels; scale it down first")
    if min(width, height) < MIN_SIDE_PX:
        raise InputError(f"the image is {width}x{height} pixels; a side under {MIN_SIDE_PX} px "
                         "is too small to read a figure from")
