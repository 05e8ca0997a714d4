"""Reads a vidmill run's dataset the way a training job would, and says what it found (JSON).

    python3 check_shards.py OUT [REF_OUT]

Every OUT/frames/*.tar is opened with Python's tarfile and read as WebDataset does: a member's
key is its name up to the first dot, and the members of one key must follow each other. Per
sample: the real clip key from its .json, the frames the json lists, the fields present; .npy
arrays are loaded with numpy (shape, dtype, MD5 of the data); JPEG and PNG files are decoded
with OpenCV (their shapes). With REF_OUT (the same run with --frames npy --format rgb24), every
decoded JPEG/PNG is compared with the same frame of the reference array: PSNR in dB, the PSNR
with red and blue swapped (which must be worse for a picture with colour), and the PSNR of
libjpeg's own JPEG of the reference frame (cv2.imencode at quality 95, 4:2:0): the yardstick. Every shard is
also unpacked into a fresh folder, to show that nothing lands outside it.
"""
import glob
import hashlib
import io
import json
import math
import os
import sys
import tarfile
import tempfile

import cv2
import numpy as np


def psnr(a, b):
    se = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 99.0 if se == 0 else 10 * math.log10(255.0 ** 2 / se)


def read(out):
    samples, order, problems = {}, [], []
    shards = sorted(glob.glob(os.path.join(out, "frames", "*.tar")))
    for shard in shards:
        with tarfile.open(shard) as t:
            last = None
            for m in t:
                if not m.isfile():
                    problems.append("%s: %s is not a file" % (shard, m.name))
                    continue
                if "/" in m.name or m.name.startswith(".") or ".." in m.name.split("."):
                    problems.append("%s: unsafe name %r" % (shard, m.name))
                key, field = m.name.split(".", 1)
                if key in samples and key != last:
                    problems.append("%s: the members of %s are not together" % (shard, key))
                if key not in samples:
                    order.append(key)
                    samples[key] = {"shard": os.path.basename(shard), "fields": {}}
                if field in samples[key]["fields"]:
                    problems.append("%s: %s.%s twice" % (shard, key, field))
                samples[key]["fields"][field] = t.extractfile(m).read()
                last = key
        with tempfile.TemporaryDirectory() as d, tarfile.open(shard) as t:
            t.extractall(d)
            root = os.path.realpath(d)
            for dirpath, _, files in os.walk(d):
                for f in files:
                    if not os.path.realpath(os.path.join(dirpath, f)).startswith(root + os.sep):
                        problems.append("%s: %s lands outside" % (shard, f))
    return shards, samples, order, problems


def main():
    out = sys.argv[1]
    ref = None
    if len(sys.argv) > 2:
        _, ref_samples, _, _ = read(sys.argv[2])
        ref = {}
        for s in ref_samples.values():
            j = json.loads(s["fields"]["json"])
            ref[j["key"]] = np.load(io.BytesIO(s["fields"]["npy"]))
    shards, samples, order, problems = read(out)
    result = {"shards": [os.path.basename(s) for s in shards], "problems": problems, "samples": []}
    for key in order:
        s = samples[key]
        fields = s["fields"]
        j = json.loads(fields["json"])
        info = {"sample_key": key, "shard": s["shard"], "key": j["key"], "json_sample_key": j["sample_key"],
                "frames": [f.get("file") for f in j["frames"]], "pts": [f["pts"] for f in j["frames"]],
                "fields": sorted(fields)}
        if "npy" in fields:
            a = np.load(io.BytesIO(fields["npy"]))
            info["npy_shape"] = list(a.shape)
            info["npy_dtype"] = str(a.dtype)
            info["npy_md5"] = hashlib.md5(np.ascontiguousarray(a).tobytes()).hexdigest()
        shapes, psnrs, swapped, libjpeg = [], [], [], []
        for i, f in enumerate(j["frames"]):
            name = f.get("file") or ""
            field = name.split(".", 1)[1] if "." in name else ""
            if field.endswith(".jpg") or field.endswith(".png"):
                img = cv2.imdecode(np.frombuffer(fields[field], np.uint8), cv2.IMREAD_UNCHANGED)
                shapes.append(list(img.shape))
                if ref is not None and j["key"] in ref:
                    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
                    want = ref[j["key"]][i]
                    psnrs.append(psnr(rgb, want))
                    swapped.append(psnr(img, want))
                    ok, enc = cv2.imencode(".jpg", cv2.cvtColor(want, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
                    theirs = cv2.cvtColor(cv2.imdecode(enc, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
                    libjpeg.append(psnr(theirs, want))
        info["shapes"] = shapes
        if ref is not None:
            info["psnr"] = psnrs
            info["psnr_swapped"] = swapped
            info["psnr_libjpeg"] = libjpeg
        result["samples"].append(info)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
