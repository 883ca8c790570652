"""Feature preparation of docs/PROTOCOL.md §1 in Python, checked against the §1.6 checksums.

A development tool: it lets the Java implementation be compared with an independent PyTorch one
(same data, same protocol) on this machine. Not used by the build or the tests.
"""
import hashlib
import math
import os

import numpy as np


class Vocab:
    def __init__(self):
        self.ids = {}

    def id(self, s):
        v = self.ids.get(s)
        if v is None:
            v = len(self.ids) + 1
            self.ids[s] = v
        return v

    def size(self):
        return len(self.ids) + 1


def age_bucket(a):
    if a < 18:
        return "1-17"
    if a < 25:
        return "18-24"
    if a < 35:
        return "25-34"
    if a < 45:
        return "35-44"
    if a < 50:
        return "45-49"
    if a < 56:
        return "50-55"
    return "56+"


def movielens(root):
    users = {}
    with open(os.path.join(root, "u.user"), encoding="ascii") as f:
        for line in f:
            uid, age, gender, occ, zipc = line.rstrip("\n").split("|")
            users[uid] = (int(age), gender, occ, zipc)
    items = {}
    with open(os.path.join(root, "u.item"), encoding="iso-8859-1") as f:
        for line in f:
            p = line.rstrip("\n").split("|")
            rel = p[2]
            year = rel[-4:] if rel else "unk"
            genres = [str(g) for g in range(19) if p[5 + g] == "1"]
            items[p[0]] = (year, genres)
    names = ["user_id", "item_id", "age_bucket", "gender", "occupation", "zip3", "release_year", "hour",
             "weekday"]
    vocabs = [Vocab() for _ in names]
    gv = Vocab()
    ys, cats, multis, nums = [], [], [], []
    with open(os.path.join(root, "u.data.sorted_by_time.tsv")) as f:
        for line in f:
            u, i, r, ts = line.rstrip("\n").split("\t")
            ts = int(ts)
            age, gender, occ, zipc = users[u]
            year, genres = items[i]
            vals = [u, i, age_bucket(age), gender, occ, zipc[:3], year, str((ts // 3600) % 24),
                    str((ts // 86400 + 3) % 7)]
            cats.append([vocabs[j].id(v) for j, v in enumerate(vals)])
            multis.append([gv.id(g) for g in genres])
            nums.append([age / 100.0])
            ys.append(1.0 if int(r) >= 4 else 0.0)
    width = max(len(m) for m in multis)
    multi = np.zeros((len(ys), 1, width), dtype=np.int64)
    for e, m in enumerate(multis):
        multi[e, 0, :len(m)] = m
    return dict(y=np.array(ys), cat=np.array(cats, dtype=np.int64), multi=multi,
                num=np.array(nums), miss=np.zeros((len(ys), 1)),
                cat_vocab=[v.size() for v in vocabs], multi_vocab=[gv.size()])


def criteo(root):
    vocabs = [Vocab() for _ in range(26)]
    ys, cats, nums, miss = [], [], [], []
    with open(os.path.join(root, "train_first10k.txt")) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            ys.append(float(p[0]))
            cats.append([vocabs[j].id(p[14 + j] if p[14 + j] else "unk") for j in range(26)])
            t, m = [], []
            for s in p[1:14]:
                if s == "":
                    t.append(0.0)
                    m.append(1.0)
                else:
                    x = float(s)
                    t.append(math.log1p(x) if x > 0 else 0.0)
                    m.append(0.0)
            nums.append(t)
            miss.append(m)
    n = len(ys)
    return dict(y=np.array(ys), cat=np.array(cats, dtype=np.int64), multi=np.zeros((n, 0, 1), dtype=np.int64),
                num=np.array(nums), miss=np.array(miss), cat_vocab=[v.size() for v in vocabs], multi_vocab=[])


def checksum(d):
    h = hashlib.sha256()
    for e in range(len(d["y"])):
        parts = [str(int(d["y"][e]))] + [str(int(v)) for v in d["cat"][e]]
        for m in d["multi"][e]:
            parts.append(",".join(str(int(v)) for v in m if v != 0))
        h.update(("\t".join(parts) + "\n").encode())
    return h.hexdigest(), float(d["num"].sum()), float(d["miss"].sum())


def load(name, data_dir):
    if name == "movielens":
        return movielens(os.path.join(data_dir, "movielens-100k"))
    return criteo(os.path.join(data_dir, "criteo-kaggle-sample"))


if __name__ == "__main__":
    import sys
    data_dir = sys.argv[1] if len(sys.argv) > 1 else "../shared/data"
    for name in ("movielens", "criteo"):
        d = load(name, data_dir)
        print(name, len(d["y"]), int(d["y"].sum()), d["cat_vocab"], d["multi_vocab"], checksum(d))
