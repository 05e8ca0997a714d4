"""The anchors of bench/frames/run.sh: what people do today to get resized frames, or one frame a
second, out of many clips, each over a multiprocessing Pool of WORKERS processes, one clip per
task, with the libraries' default settings (as a script would have them).

    python3 anchors.py MODE WORKERS LISTFILE    -> "clips frames_kept seconds"

cv2_resize   the seed's way: cv2.VideoCapture reads (decodes and converts to BGR) every frame,
             cv2.resize to 224x224 (INTER_LINEAR) of each
pyav_resize  PyAV decodes every frame, frame.reformat(224, 224, 'rgb24').to_ndarray() of each
cv2_fps1     the seed's way of one frame per second: cv2 reads every frame, keeps one per
             second (frame index divisible by the rounded frame rate)
cv2_all      cv2 reads every frame, keeps all (what the seed pays before keeping any)
pyav_seek    PyAV seeks to each whole second (backward, to the key frame before it) and decodes
             until the first frame at or after it: the same frames vidmill's fps=1 picks
pyav_all     PyAV decodes every frame
"""
import sys
import time
from multiprocessing import Pool


def cv2_read(path, keep_every_second):
    import cv2
    cap = cv2.VideoCapture(path)
    step = max(1, int(round(cap.get(cv2.CAP_PROP_FPS) or 1))) if keep_every_second else 1
    kept, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            kept.append(frame)
        i += 1
    cap.release()
    return len(kept)


def cv2_resize(path):
    import cv2
    cap = cv2.VideoCapture(path)
    n = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        cv2.resize(frame, (224, 224), interpolation=cv2.INTER_LINEAR)
        n += 1
    cap.release()
    return n


def pyav_resize(path):
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        n = 0
        for frame in container.decode(stream):
            frame.reformat(224, 224, "rgb24").to_ndarray()
            n += 1
        return n


def cv2_fps1(path):
    return cv2_read(path, True)


def cv2_all(path):
    return cv2_read(path, False)


def pyav_seek(path):
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        duration = float(stream.duration * tb) if stream.duration else container.duration / 1e6
        start = float(stream.start_time * tb) if stream.start_time else 0.0
        kept, t = 0, 0.0
        while start + t < start + duration:
            target = start + t
            container.seek(int(target / tb), stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts * tb >= target - 1e-9:
                    frame.to_ndarray()  # what a user keeps: the picture
                    kept += 1
                    break
            t += 1.0
        return kept


def pyav_all(path):
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        return sum(1 for _ in container.decode(stream))


MODES = {"cv2_resize": cv2_resize, "pyav_resize": pyav_resize, "cv2_fps1": cv2_fps1, "cv2_all": cv2_all, "pyav_seek": pyav_seek, "pyav_all": pyav_all}


def main():
    mode, workers, listfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(listfile) as f:
        files = [line.strip() for line in f if line.strip()]
    t0 = time.perf_counter()
    with Pool(workers) as pool:
        kept = sum(pool.imap_unordered(MODES[mode], files, chunksize=1))
    print(len(files), kept, "%.4f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
