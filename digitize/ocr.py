"""Reading printed text (tick labels, legends, numbers at risk) with RapidOCR, offline.

One OCR engine per process, created on first use (creating it loads the
ONNX models, about a second). Two entry points:

- :func:`read_text` finds text lines in an image region and reads them
  (detection + recognition), for text whose place is not known;
- :func:`read_boxes` reads text in boxes already found (recognition only), for
  tick labels and table cells, whose boxes are found faster and more surely
  from the pixels.

Both return a DataFrame with columns ``text, x_px, y_px, left, top, right,
bottom, confidence`` in full-image pixels (``x_px, y_px`` the box centre).

References
----------
RapidOCR, https://github.com/RapidAI/RapidOCR (PP-OCR models by PaddlePaddle).
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np
import pandas as pd

COLUMNS = ["text", "x_px", "y_px", "left", "top", "right", "bottom", "confidence"]

#: Text lower than this (pixels) is enlarged before reading; the recognizer works at 48 px.
MIN_TEXT_HEIGHT_PX = 32
#: Pixels of the image around a given box that are read with it, for text lower than
#: SMALL_TEXT_PX (its faint rims are a good share of each stroke there; larger text reads as well
#: without them, and OCR's reading of it should not move with a pixel of context).
BOX_CONTEXT_PX = 1
SMALL_TEXT_PX = 12


@lru_cache(maxsize=1)
def _engine():
    from rapidocr import RapidOCR  # imported here: loading it costs time a caller may not need

    return RapidOCR(params={
        "Global.log_level": "error",
        "Global.use_cls": False,  # printed figures are upright; the y-axis title is not needed
        # Limit the longer side: the default scales the shorter side of a thin strip up to 736 px.
        "Det.limit_type": "max",
        "Det.limit_side_len": 1600,
        # Text is read at 48 px high and padded to at least this width; the default 320 makes a
        # short tick label cost as much as a sentence (the width grows with longer text anyway).
        "Rec.rec_img_shape": [3, 48, 64],
        # One thread: a text line is too small a job to share, and a second thread spinning for
        # work costs more CPU than it saves (and competes with the rest of the machine).
        "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })


def read_text(image: np.ndarray, region: tuple[int, int, int, int] | None = None) -> pd.DataFrame:
    """Find and read the text lines in an image or a region of it.

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 image.
    region : (left, top, right, bottom), optional
        Pixel box to read (right and bottom exclusive); the whole image by default.

    Returns
    -------
    pandas.DataFrame
        One row per text line, columns :data:`COLUMNS`, in full-image pixels,
        ordered top to bottom then left to right.
    """
    left, top, right, bottom = region or (0, 0, image.shape[1], image.shape[0])
    left, top = max(int(left), 0), max(int(top), 0)
    crop = image[top:int(bottom), left:int(right)]
    if crop.size == 0:
        return pd.DataFrame(columns=COLUMNS)
    # A strip lower than two text lines is enlarged so that its text reaches a readable height.
    scale = float(np.clip(2 * MIN_TEXT_HEIGHT_PX / crop.shape[0], 1.0, 3.0))
    crop = _pad(_resize(crop, scale), 8)
    # Every step named: the engine keeps the settings of its previous call.
    result = _engine()(crop, use_det=True, use_cls=False, use_rec=True)
    if result.boxes is None or result.txts is None:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    for box, text, score in zip(result.boxes, result.txts, result.scores):
        box = (np.asarray(box, dtype=float) - 8) / scale
        rows.append(_row(text, score, left + box[:, 0].min(), top + box[:, 1].min(),
                         left + box[:, 0].max(), top + box[:, 1].max()))
    return _frame(rows).sort_values(["top", "left"], kind="mergesort").reset_index(drop=True)


def read_boxes(image: np.ndarray, boxes) -> pd.DataFrame:
    """Read the text in each of the given boxes (recognition only, no detection).

    Parameters
    ----------
    image : numpy.ndarray
        RGB uint8 image.
    boxes : sequence of (left, top, right, bottom)
        Pixel boxes (right and bottom exclusive), each holding one line of text.

    Returns
    -------
    pandas.DataFrame
        One row per box, in the order given, columns :data:`COLUMNS`; boxes
        read as nothing have empty text and confidence 0.
    """
    rows = []
    for left, top, right, bottom in boxes:
        # The anti-aliased rims of the glyphs, fainter than the ink a box was found from, are kept:
        # in small type they are a good share of each stroke, and enlarged without them a 0 reads as a.
        height = max(int(bottom) - int(top), 1)  # the box's own text height, not the context's
        context = BOX_CONTEXT_PX if height < SMALL_TEXT_PX else 0
        crop = image[max(int(top) - context, 0):int(bottom) + context, max(int(left) - context, 0):int(right) + context]
        text, score = "", 0.0
        if crop.size:
            # A narrow margin: the recognizer's cost grows with the width of what it reads.
            crop = _pad(_resize(crop, max(1.0, MIN_TEXT_HEIGHT_PX / height)), max(3, height // 5))
            result = _engine()(crop, use_det=False, use_cls=False, use_rec=True)
            if result.txts:
                text, score = result.txts[0], float(result.scores[0])
        rows.append(_row(text, score, left, top, right, bottom))
    return _frame(rows)


def _resize(crop: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return crop
    return cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _pad(crop: np.ndarray, margin: int) -> np.ndarray:
    """White margin: text touching the border is read badly."""
    return cv2.copyMakeBorder(crop, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=(255, 255, 255))


def _row(text, score, left, top, right, bottom) -> dict:
    return {"text": str(text).strip(), "x_px": (left + right) / 2, "y_px": (top + bottom) / 2,
            "left": float(left), "top": float(top), "right": float(right), "bottom": float(bottom),
            "confidence": round(float(score), 6)}


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"left": float, "top": float, "right": float, "bottom": float,
                         "x_px": float, "y_px": float, "confidence": float})
