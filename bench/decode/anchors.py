"""Open+close and full-decode timings of the Python anchors (PyAV, OpenCV) on given files.

    python3 anchors.py open pyav|cv2 ROUNDS FILE...     -> ms per clip (first round warms up)
    python3 anchors.py decode pyav|cv2 FILE...          -> frames, seconds (one thread, no conversion for PyAV)
"""
import sys
import time


def open_close(lib, files):
    if lib == "pyav":
        import av
        for f in files:
            av.open(f).close()
    else:
        import cv2
        for f in files:
            cap = cv2.VideoCapture(f, cv2.CAP_FFMPEG)
            if not cap.isOpened():
                raise SystemExit("cv2 could not open " + f)
            cap.release()


def decode(lib, files):
    frames = 0
    if lib == "pyav":
        import av
        for f in files:
            with av.open(f) as c:
                s = c.streams.video[0]
                s.thread_type = "NONE"
                for _ in c.decode(s):
                    frames += 1
    else:
        import cv2
        cv2.setNumThreads(1)
        for f in files:
            cap = cv2.VideoCapture(f, cv2.CAP_FFMPEG)
            while cap.grab():
                frames += 1
            cap.release()
    return frames


def main():
    mode, lib = sys.argv[1], sys.argv[2]
    if mode == "open":
        rounds, files = int(sys.argv[3]), sys.argv[4:]
        open_close(lib, files)
        t0 = time.perf_counter()
        for _ in range(rounds - 1):
            open_close(lib, files)
        dt = time.perf_counter() - t0
        print("%.4f" % (dt * 1000 / (len(files) * (rounds - 1))))
    else:
        files = sys.argv[3:]
        t0 = time.perf_counter()
        n = decode(lib, files)
        print(n, "%.4f" % (time.perf_counter() - t0))


main()
