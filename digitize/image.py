"""Loading a figure into the one pixel convention the digitizer uses, and scaling it down.

Images are NumPy arrays of shape ``(height, width, 3)``, dtype uint8, in RGB
order, row 0 at the top. OpenCV decodes to BGR; the conversion happens here,
once, and nowhere else.

Large figures are read pixel by pixel (ink, colours, tracing, censor marks,
legend swatches) on a copy scaled down to a bounded resolution
(:func:`working_image`); what is read there is mapped back to the figure's own
pixels by :meth:`WorkingImage.to_original`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np
from PIL import Image  # Pillow comes with matplotlib; used only to read sizes before decoding

from digitize.axes import PlotArea
from kmipd.errors import InputError

#: Largest image accepted, in pixels: a journal figure at 600 dpi is ~20 megapixels.
MAX_PIXELS = 40_000_000
#: Smallest side accepted, in pixels: below this no tick label is legible.
MIN_SIDE_PX = 100
#: Largest file read, in bytes, so a wrong path cannot fill the memory.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: Widest plot area (px) read pixel by pixel; wider figures are scaled down to it. The cost of
#: reading grows with the pixels, and a curve traced to a fraction of a pixel at this width is
#: placed to well under 0.1% of the axis already.
MAX_WORKING_WIDTH_PX = 1200


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


def check_file(path: Path, kind: str, max_bytes: int) -> None:
    """Refuse a ``kind`` file (``"image"``, ``"SVG"``) that is missing, no regular file, or larger
    than ``max_bytes``, with an :class:`InputError` naming ``path``."""
    if not path.is_file():
        what = ("does not exist" if not path.exists() else f"is a folder, not an {kind}" if path.is_dir()
                else f"is not a regular file (a device or a pipe), not an {kind}")
        raise InputError(f"{kind} file {path} {what}", source=path)
    if path.stat().st_size > max_bytes:
        raise InputError(f"{kind} file is larger than {max_bytes // 2**20} MB; this is not a figure", source=path)


def file_version(path: Path) -> tuple[str, int, int]:
    """A file's resolved path, size (bytes) and modification time (ns): a cache key that changes
    when the file is replaced or written to."""
    status = path.stat()
    return str(path.resolve()), status.st_size, status.st_mtime_ns


def _read_file(path: Path) -> np.ndarray:
    check_file(path, "image", MAX_FILE_BYTES)
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
    with _c_stderr_captured() as decoder_said:
        image = cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)
    report = _corruption_report(decoder_said())
    if image is None or image.size == 0 or report:
        detail = f" ({report})" if report else ""
        raise InputError(f"the image data is corrupt or truncated{detail}", source=path)
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return _to_rgb(image)


@contextmanager
def _c_stderr_captured() -> Iterator[Callable[[], str]]:
    """Catch what C libraries (libjpeg, libpng via OpenCV) print on the standard error.

    They print straight to file descriptor 2, which Python's ``sys.stderr``
    does not see; the descriptor is pointed at a temporary file meanwhile, so
    their lines are not printed beside kmipd's and can be judged instead.
    Yields a function returning what was printed (complete once the block ends).
    """
    captured = ""
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield lambda: captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured = sink.read().decode("utf-8", "replace")


def _corruption_report(decoder_output: str) -> str:
    """The decoder's report that the image data is damaged, on one line; "" when there is none.

    libjpeg decodes what it can of a damaged JPEG, fills the rest with grey
    and says so ("Corrupt JPEG data: premature end of data segment"): such a
    picture is refused, since its curves may be partly missing. Extraneous
    bytes before the end marker are the one report after which the whole
    picture was decoded (padding some programs write), so they are no damage.
    """
    lines = [line.strip() for line in decoder_output.splitlines() if line.strip()]
    damage = [line for line in lines if "extraneous bytes before marker" not in line]
    return "; ".join(damage)


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


@dataclass(frozen=True)
class WorkingImage:
    """A figure at the resolution it is read at, and the map back to the figure's own pixels.

    Attributes
    ----------
    image : ndarray, shape (h, w, 3), uint8
        The figure, scaled by ``scale`` (the figure itself when ``scale`` is 1).
    plot_area : PlotArea
        The plot area in the pixels of ``image``.
    scale : float
        Pixels of ``image`` per pixel of the figure, at most 1.
    """

    image: np.ndarray
    plot_area: PlotArea
    scale: float

    def to_original(self, px):
        """Column or row positions in ``image`` -> in the figure."""
        return _rescale(px, 1.0 / self.scale)

    def from_original(self, px):
        """Column or row positions in the figure -> in ``image``."""
        return _rescale(px, self.scale)

    def box_to_original(self, box) -> tuple[int, int, int, int]:
        """A pixel box ``(left, top, right, bottom)`` (right and bottom exclusive) in ``image`` -> the
        box of the figure's pixels it covers (its edges scale with the image; rounded outward)."""
        left, top, right, bottom = np.asarray(box, dtype=float) / self.scale
        return int(np.floor(left)), int(np.floor(top)), int(np.ceil(right)), int(np.ceil(bottom))


def working_image(image: np.ndarray, plot_area: PlotArea,
                  max_width_px: int = MAX_WORKING_WIDTH_PX) -> WorkingImage:
    """The figure scaled down (by pixel area averaging) so its plot area is at most ``max_width_px`` wide.

    Area averaging blends each pixel of the copy from the pixels it covers,
    as anti-aliased drawing at the smaller size would, so a line keeps its
    colour and its sub-pixel centre.

    Parameters
    ----------
    image : ndarray, shape (h, w, 3), uint8
        The figure.
    plot_area : PlotArea
        The plot to be read, in the figure's pixels.
    max_width_px : int
        Widest plot area kept as it is.

    Returns
    -------
    WorkingImage
    """
    scale = min(1.0, max_width_px / max(plot_area.width, 1))
    if scale == 1.0:
        return WorkingImage(image, plot_area, 1.0)
    # Scale factors rather than a size: OpenCV then maps pixel centres by exactly ``scale``.
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    left, top, right, bottom = (int(v) for v in np.round(_rescale(
        [plot_area.left, plot_area.top, plot_area.right, plot_area.bottom], scale)))
    return WorkingImage(small, PlotArea(left, top, right, bottom, plot_area.framed), scale)


def _rescale(px, factor: float) -> np.ndarray:
    """Pixel positions in an image scaled by ``factor``: a pixel's centre is at its index, as OpenCV maps them."""
    return (np.asarray(px, dtype=float) + 0.5) * factor - 0.5
