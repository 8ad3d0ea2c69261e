"""Independent decoding for the fuzz suite: Pillow for PNG, JPEG and TIFF, numpy for .npy and .npz.

Reads a JSON list of {"path", "kind"} from argv[1] and prints one JSON list of results, each
{"ok": true, "value": {"shape", "values"}} (for a stack, a list of those) or {"ok": false, "error"}.
Values are normalised the way SegLab reports them: alpha dropped, palette expanded to RGB, PNG and
JPEG colour images whose three channels are equal reported as one gray channel.
"""
import json
import math
import sys
import warnings

import numpy as np
from PIL import Image

warnings.simplefilter("ignore")
Image.MAX_IMAGE_PIXELS = 2**27

NPZ_PREFERRED = ["pred", "prob", "probs", "probabilities", "logits", "mask", "label", "labels", "seg", "arr_0"]


def finite_list(a):
    return [v if math.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf")) for v in a.astype(np.float64).ravel().tolist()]


def frame_value(img, path):
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA") if "transparency" in img.info else img.convert("RGB")
        mode = img.mode
    a = np.asarray(img)
    if mode in ("RGBA", "LA", "PA"):
        a = a[..., :-1]
    if a.ndim == 2:
        a = a[..., None]
    gray_collapse = path.lower().endswith((".png", ".jpg", ".jpeg"))
    if gray_collapse and a.shape[2] == 3 and (a[..., 0] == a[..., 1]).all() and (a[..., 0] == a[..., 2]).all():
        a = a[..., :1]
    if a.dtype == bool:
        a = a.astype(np.uint8)
    return {"shape": list(a.shape), "values": finite_list(a)}


def decode_image(path, stack):
    img = Image.open(path)
    frames = getattr(img, "n_frames", 1)
    if not stack and frames > 1:
        raise ValueError("a stack")
    out = []
    for i in range(frames):
        img.seek(i)
        img.load()
        out.append(frame_value(img, path))
    return out if stack else out[0]


def decode_npy(a):
    return {"shape": list(a.shape), "values": finite_list(a)}


def decode(case):
    path, kind = case["path"], case["kind"]
    low = path.lower()
    if low.endswith(".npy"):
        return decode_npy(np.load(path, allow_pickle=False))
    if low.endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            names = list(z.keys())
            key = names[0] if len(names) == 1 else next(n for n in NPZ_PREFERRED if n in names)
            return decode_npy(z[key])
    return decode_image(path, kind in ("stack", "stackPages"))


def main():
    cases = json.load(open(sys.argv[1]))
    results = []
    for case in cases:
        try:
            results.append({"ok": True, "value": decode(case)})
        except Exception as e:  # noqa: BLE001 - any refusal counts as a refusal
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"[:300]})
    json.dump(results, sys.stdout)


main()
