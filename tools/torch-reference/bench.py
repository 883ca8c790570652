"""docs/PROTOCOL.md §4 speed baseline: the PyTorch Hiformer on the MovieLens and Criteo schemas, one thread.

Train step = forward + loss + backward + Adam + sparse Adagrad at batch 256; scoring = forward + sigmoid at
batch 1 and 256; real prepared batches, cycled. Each call measures one window per case (≥ 2 s) and prints
one JSON line per case, so a driver can alternate it with the Java benchmark (compare-speed.sh).
Run with the allocator tuned as the protocol says (compare-speed.sh sets MALLOC_* so steady-state steps
do not return memory to the OS).
"""
import argparse
import json
import time

import numpy as np
import torch

import prep
import reference


def window(fn, seconds):
    fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        el = time.perf_counter() - t0
        if el >= seconds:
            return el / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../../../shared/data")
    ap.add_argument("--datasets", default="movielens,criteo")
    ap.add_argument("--seconds", type=float, default=2.0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    for ds in a.datasets.split(","):
        d = prep.load(ds, a.data)
        torch.manual_seed(0)
        model = reference.Hiformer(reference.schema_of(d))
        opts = reference.optimizers(model)
        batches = [reference.tensors(d, np.arange(s, s + 256), torch.float32) for s in range(0, 256 * 16, 256)]
        singles = [reference.tensors(d, np.arange(s, s + 1), torch.float32) for s in range(256)]
        it = {"b": 0, "s": 0}

        def train():
            reference.step(model, opts, batches[it["b"] % len(batches)])
            it["b"] += 1

        def score(batch_list):
            def f():
                b = batch_list[it["s"] % len(batch_list)]
                it["s"] += 1
                with torch.no_grad():
                    torch.sigmoid(model(*b[:4]))
            return f

        for case, fn, size in (("train256", train, 256), ("score1", score(singles), 1),
                               ("score256", score(batches), 256)):
            secs = window(fn, a.seconds)
            print(json.dumps(dict(impl="pytorch", dataset=ds, case=case, us_per_call=secs * 1e6,
                                  examples_per_s=size / secs)), flush=True)


if __name__ == "__main__":
    main()
