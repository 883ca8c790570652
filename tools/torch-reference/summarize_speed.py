"""Medians over the rounds of compare-speed.sh and the ratio ours / PyTorch, as a Markdown table."""
import glob
import json
import statistics
import sys

out = sys.argv[1]
rows = {}  # (dataset, case) -> {"torch": [...], "java": [...]}, examples/s
for f in sorted(glob.glob(out + "/torch-*.jsonl")):
    for line in open(f):
        r = json.loads(line)
        rows.setdefault((r["dataset"], r["case"]), {"torch": [], "java": []})["torch"].append(r["examples_per_s"])
for f in sorted(glob.glob(out + "/java-*.json")):
    for r in json.load(open(f)):
        p = r["params"]
        score = r["primaryMetric"]["score"]
        if r["benchmark"].endswith("trainStep"):
            key, eps = (p["dataset"], "train256"), score  # examples/s already
        else:
            b = int(p["batchSize"])
            key, eps = (p["dataset"], "score%d" % b), score * b  # batches/s -> examples/s
        rows.setdefault(key, {"torch": [], "java": []})["java"].append(eps)

print("| dataset | case | PyTorch 1.13 (Debian, OpenBLAS) | ours | ours / PyTorch | rounds |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for (ds, case), v in sorted(rows.items()):
    if not v["torch"] or not v["java"]:
        continue
    t, j = statistics.median(v["torch"]), statistics.median(v["java"])
    fmt = (lambda e: "%.0f µs" % (1e6 / e)) if case == "score1" else (lambda e: "{:,.0f}/s".format(e))
    print("| %s | %s | %s | %s | %.2f× | %d |" % (ds, case, fmt(t), fmt(j), j / t, min(len(v["torch"]), len(v["java"]))))
