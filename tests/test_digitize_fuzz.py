"""A fuzz battery: damaged, cut, shrunk and odd figures either digitize or fail with an InputError.

The cases are seeded mutations of real figures (R's jpeg device, lifelines) and odd plots drawn by
matplotlib here (axes with no curve, a scatter plot, a bar chart): never another exception, and
nothing printed on the standard error by the C image decoders.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from digitize import digitize  # noqa: E402
from digitize.trace import _bar_row  # noqa: E402
from kmipd.errors import InputError  # noqa: E402

FIGURES = Path(__file__).parent / "data" / "world" / "plotarea"
SOURCES = ("jpeg640_2arms.jpg", "lifelines_rossi.png")


def _encoded(image_bgr: np.ndarray, rng: np.random.Generator) -> bytes:
    return cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(20, 90))])[1].tobytes()


def _mutated(data: bytes, kind: str, rng: np.random.Generator) -> bytes:
    """One seeded mutation of an image file's bytes."""
    if kind == "truncated":
        return data[: int(len(data) * rng.uniform(0.2, 0.98))]
    if kind == "bytes flipped":
        mutated = bytearray(data)
        scan = max(data.find(b"\xff\xda"), data.find(b"IDAT")) + 20  # past the headers, into the pixels
        for position in rng.integers(scan, len(data), size=int(rng.integers(1, 30))):
            mutated[position] ^= int(rng.integers(1, 256))
        return bytes(mutated)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    height, width = image.shape[:2]
    if kind == "cropped":
        left, top = int(rng.integers(0, width // 2)), int(rng.integers(0, height // 2))
        image = image[top : int(rng.integers(top + 100, height + 1)), left : int(rng.integers(left + 100, width + 1))]
    elif kind == "tiny":
        new_width = int(rng.integers(90, 220))
        image = cv2.resize(image, (new_width, new_width * height // width), interpolation=cv2.INTER_AREA)
    return _encoded(image, rng)


def _drawn(draw) -> bytes:
    """A PNG drawn by matplotlib: ``draw(ax)`` on a 400x300 px figure."""
    figure, ax = plt.subplots(figsize=(4, 3), dpi=100)
    draw(ax)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def _odd_plots() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {
        "axes with no curve": _drawn(lambda ax: ax.set_xlim(0, 10)),
        "scatter plot": _drawn(lambda ax: ax.scatter(rng.uniform(0, 10, 60), rng.uniform(0, 1, 60), c="k", s=4)),
        "bar chart": _drawn(lambda ax: ax.bar(range(6), [5, 3, 4, 2, 1, 0.5])),
        "blank page": cv2.imencode(".png", np.full((300, 400, 3), 255, np.uint8))[1].tobytes(),
    }


def _battery() -> list[tuple[str, bytes]]:
    cases = list(_odd_plots().items())
    for seed in range(32):
        rng = np.random.default_rng(seed)
        source = SOURCES[seed % len(SOURCES)]
        kind = ("truncated", "bytes flipped", "cropped", "tiny")[seed // len(SOURCES) % 4]
        cases.append((f"{source} {kind} (seed {seed})", _mutated((FIGURES / source).read_bytes(), kind, rng)))
    return cases


def test_every_fuzzed_figure_digitizes_or_fails_with_an_input_error(tmp_path, capfd):
    outcomes = {}
    for k, (name, data) in enumerate(_battery()):
        path = tmp_path / f"case{k}.img"
        path.write_bytes(data)
        try:
            digitize(path)
            outcomes[name] = "read"
        except InputError as error:
            assert "\n" not in str(error), name
            outcomes[name] = "refused"
    assert outcomes["axes with no curve"] == outcomes["scatter plot"] == "refused"
    assert "refused" in outcomes.values()
    assert capfd.readouterr().err == "", "a C library printed beside kmipd's message"


def test_a_jpeg_damaged_in_its_pixel_data_is_refused_not_read_in_part(tmp_path, capfd):
    data = bytearray((FIGURES / "jpeg640_2arms.jpg").read_bytes())
    scan = data.find(b"\xff\xda") + 20
    data[scan + 5000 : scan + 5004] = b"\xff\xd9\x00\x00"  # an end marker in the middle of the scan
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="corrupt"):
        digitize(path)
    assert capfd.readouterr().err == ""


def test_a_bar_at_the_foot_of_a_stroke_cut_by_the_image_edge_is_read():
    # A + mark's bar two rows from the bottom of the crop: the search window holds 2 rows, not 3.
    inked = np.zeros((12, 12), dtype=bool)
    inked[:, 5] = True
    inked[10, 2:9] = True
    own = inked.astype(float)
    row, to_left = _bar_row(inked, own, slice(10, 16), 5, 5, width=1.0)
    assert row == pytest.approx(10.0) and to_left
