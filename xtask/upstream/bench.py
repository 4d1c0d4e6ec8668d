"""The benchmark workloads through upstream viser4d's Python API.

Run by `cargo xtask bench --upstream` in a venv holding viser4d 0.20.0, so
our figures and upstream's are measured in one run on one machine. Each
workload is the one our criterion bench of the same row name records
(crates/viser4d-server/benches/shared/workloads.rs). Prints one JSON object:
{row: seconds}: recordings the best of a few runs (upstream's noise, like
ours, is one-sided); exports the first, cold, call (upstream keeps the
serialized bytes, so a second call only returns them).
"""

import json
import math
import sys
import time

import numpy as np
import viser4d

RUNS = 3


def server(num_steps):
    return viser4d.Viser4dServer(num_steps, fps=30.0, host="127.0.0.1", port=0, verbose=False)


def heavy():
    s = server(180)
    rng = np.random.default_rng(42)
    with s.at(0):
        frames = [s.scene.add_frame(f"/frames/f{i}") for i in range(300)]
    for t in range(180):
        with s.at(t):
            if t % 4 == 3:
                for i in range(30):
                    frames[i].remove()
                    frames[i] = s.scene.add_frame(f"/frames/f{i}")
            for f in frames:
                x, y, z, h, v = rng.random(5)
                f.position = (x * 10 - 5, y * 10 - 5, z * 4)
                f.wxyz = (math.cos(h * math.pi), 0.0, 0.0, math.sin(h * math.pi))
                f.visible = bool(v > 0.1)
    return s


def clouds():
    i = np.arange(200_000, dtype=np.float32)
    out = []
    for t in range(300):
        a = i * 0.001 + t * 0.01
        out.append(
            np.stack([np.cos(a) * (1.0 + i * 1e-6), np.sin(a), (i % 1000) * 1e-3], axis=1).astype(
                np.float32
            )
        )
    return out


def points(made):
    s = server(len(made))
    with s.at(0):
        cloud = s.scene.add_point_cloud("/cloud", made[0], colors=(200, 80, 0), precision="float16")
    for t in range(1, len(made)):
        with s.at(t):
            cloud.points = made[t]
    return s


def once(f):
    started = time.perf_counter()
    f()
    return time.perf_counter() - started


def best(f):
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - started)
        if hasattr(out, "stop"):
            out.stop()
    return min(times)


def main():
    only = set(sys.argv[1:])
    rows = {}
    want = lambda row: not only or row in only
    if want("record/heavy"):
        rows["record/heavy"] = best(heavy)
    made = clouds()
    if want("record/points_300x200k"):
        rows["record/points_300x200k"] = best(lambda: points(made))
    if want("export/serialize_heavy"):
        s = heavy()
        rows["export/serialize_heavy"] = once(lambda: s.serialize())
        s.stop()
    if want("export/serialize_points_300x200k"):
        s = points(made)
        rows["export/serialize_points_300x200k"] = once(lambda: s.serialize())
        s.stop()
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
