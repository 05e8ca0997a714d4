"""The seed's way and PyAV, as ML data teams write it: a multiprocessing Pool over the clips.

    python3 pool.py cv2|pyav WORKERS LISTFILE    -> "frames seconds"

cv2: cv2.VideoCapture + read() of every frame (decoded and converted to BGR, as the seed did).
pyav: PyAV decoding every frame (thread_type AUTO), no conversion.
"""
import sys
import time
from multiprocessing import Pool


def cv2_read(path):
    import cv2
    cap = cv2.VideoCapture(path)
    n = 0
    while True:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return n


def pyav_decode(path):
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return sum(1 for _ in container.decode(stream))


def main():
    mode, workers, listfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(listfile) as f:
        files = [line.strip() for line in f if line.strip()]
    fn = cv2_read if mode == "cv2" else pyav_decode
    t0 = time.perf_counter()
    with Pool(workers) as pool:
        frames = sum(pool.imap_unordered(fn, files, chunksize=4))
    print(frames, "%.4f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
