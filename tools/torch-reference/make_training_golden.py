"""Writes hiformer_train_small.golden.json: a float64 ONLINE training trajectory of the protocol Hiformer.

The shared golden file pins one forward/backward pass; this one pins what the optimisers do with it:
initial weights (protocol initialisation, torch generators), a small synthetic stream whose ids repeat
within and across batches, the logits predicted before each step (docs/PROTOCOL.md §3.2), and every weight,
embedding row and optimiser moment after the last step. torch.optim.Adam (dense) and torch.optim.Adagrad
(sparse rows of the shared table), exactly as docs/PROTOCOL.md §3.1 configures them.

  /usr/bin/python3 make_training_golden.py > ../../model/src/test/resources/golden/hiformer_train_small.golden.json
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

import reference

CAT_VOCAB = [6, 5]   # incl. id 0
MULTI_VOCAB = [5]
N_NUM = 2
BATCH = 6
STEPS = 5
CONFIG = dict(d=4, heads=2, dk=2, rq=3, rk=3, rv=5, layers=1, prune_last=True)


def stream(rng, n):
    """Ids in stream order (a new value takes the next id), numerics with missing flags, labels."""
    seen = [0] * (len(CAT_VOCAB) + len(MULTI_VOCAB))
    cat = np.zeros((n, len(CAT_VOCAB)), dtype=np.int64)
    multi = np.zeros((n, len(MULTI_VOCAB), 3), dtype=np.int64)
    for e in range(n):
        for f, v in enumerate(CAT_VOCAB):
            pick = int(rng.integers(1, v))
            seen[f] = max(seen[f], min(pick, seen[f] + 1))
            cat[e, f] = min(pick, seen[f])
        for f, v in enumerate(MULTI_VOCAB):
            g = len(CAT_VOCAB) + f
            k = int(rng.integers(0, 4))  # 0..3 values, 0 = an empty set (zero token)
            vals = sorted(set(int(x) for x in rng.integers(1, v, size=k)))
            vals = [min(x, seen[g] + 1 + i) for i, x in enumerate(vals)]
            vals = sorted(set(vals))
            for x in vals:
                seen[g] = max(seen[g], x)
            multi[e, f, :len(vals)] = vals
    num = rng.normal(0, 1.5, size=(n, N_NUM))
    miss = (rng.random((n, N_NUM)) < 0.25).astype(np.float64)
    num[miss == 1] = 0.0
    y = (rng.random(n) < 0.4).astype(np.float64)
    return cat, multi, num, miss, y


def golden_name(k):
    """Our module names → hiformer_small.golden.json's (the tail of a layer sits under 'tail.')."""
    p = k.split(".")
    if p[0] == "layers" and not p[2][0] in "UV":
        return ".".join(p[:2] + ["tail"] + p[2:])
    return k


def tolist(t):
    return t.detach().to_dense().tolist() if t.is_sparse else t.detach().tolist()


def main():
    rng = np.random.default_rng(7)
    cat, multi, num, miss, y = stream(rng, BATCH * STEPS)
    schema = dict(cat_vocab=CAT_VOCAB, multi_vocab=MULTI_VOCAB, n_num=N_NUM)
    torch.manual_seed(3)
    model = reference.Hiformer(schema, d=CONFIG["d"], H=CONFIG["heads"], dk=CONFIG["dk"], rq=CONFIG["rq"],
                               rk=CONFIG["rk"], rv=CONFIG["rv"]).double()
    initial = {golden_name(k): tolist(v) for k, v in model.state_dict().items() if k != "tok.offsets"}
    opts = reference.optimizers(model)
    logits = []
    losses = []
    for s in range(STEPS):
        sl = slice(s * BATCH, (s + 1) * BATCH)
        batch = (torch.from_numpy(cat[sl]), torch.from_numpy(multi[sl]), torch.from_numpy(num[sl]),
                 torch.from_numpy(miss[sl]), torch.from_numpy(y[sl]))
        out = model(*batch[:4])
        loss = F.binary_cross_entropy_with_logits(out, batch[4])
        logits.append(out.tolist())
        losses.append(float(loss))
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts:
            o.step()
    adam, adagrad = opts
    names = {id(p): n for n, p in model.named_parameters()}
    adam_state = {golden_name(names[id(p)]): dict(exp_avg=tolist(st["exp_avg"]), exp_avg_sq=tolist(st["exp_avg_sq"]))
                  for p, st in adam.state.items()}
    emb_sum = tolist(adagrad.state[model.tok.emb.weight]["sum"])
    print(json.dumps(dict(
        description="Hiformer (protocol init, torch generators), float64, online predict-then-train for "
                    f"{STEPS} steps of {BATCH} events: torch.optim.Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8) "
                    "on dense parameters, torch.optim.Adagrad(lr 0.05, eps 1e-10, initial accumulator 0) on "
                    "the sparse shared table. 'logits' are predicted before each step. Parameter names and "
                    "layouts as in hiformer_small.golden.json.",
        config=dict(CONFIG, schema=schema, head_hidden=[32], batch=BATCH, steps=STEPS),
        offsets=model.tok.offsets.tolist(),
        inputs=dict(cat=cat.tolist(), multi=multi.tolist(), num=num.tolist(), miss=miss.tolist(), y=y.tolist()),
        initial=initial, logits=logits, losses=losses,
        final={golden_name(k): tolist(v) for k, v in model.state_dict().items() if k != "tok.offsets"},
        adam=adam_state, adagrad_sum=emb_sum)))


if __name__ == "__main__":
    main()
