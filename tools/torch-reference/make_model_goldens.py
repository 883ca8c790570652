"""Writes training fixtures for model shapes beyond the protocol's default Hiformer.

  /usr/bin/python3 make_model_goldens.py ../../model/src/test/resources/golden

Two files, each a float64 ONLINE trajectory (logits predicted before each step, then one step of
torch.optim.Adam on the dense weights and sparse torch.optim.Adagrad on the embedding rows, docs/PROTOCOL.md §3.1):

- hiformer_2layer_gelu_2task.golden.json: Hiformer with two layers, neither pruned (every token is a query
  in both), the exact GELU in the FFN, an FFN width that is not 4d, and two tasks (two task tokens, one head
  each), labels of each task missing on some events;
- dcnv2_small.golden.json: DCN-v2 (two full-rank cross layers beside a ReLU MLP whose last width is
  followed by ReLU too).

Unlike hiformer_train_small.golden.json, these are written independently of any reference module layout:
the model is spelled out here functionally from the paper's equations (docs/ARCHITECTURE.md §3), parameters carry the
Java model's names and layouts (a Dense weight is [in, out], token-specific weights [tokens, in, out]), and
every embedding table is per field and compared whole: row 0 is the out-of-vocabulary row (zero, never
trained; torch's padding_idx), and the inputs hold out-of-vocabulary ids and empty multi-valued sets.
The configuration is stored as the Java ModelConfig's properties text ('model_config').
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

CAT_VOCAB = [7, 5]   # incl. id 0 (out of vocabulary)
MULTI_VOCAB = [6]
MAX_MULTI = 3
N_NUM = 2
BATCH = 6
STEPS = 5
LN_EPS = 1e-5


def stream(rng, n, tasks):
    """Ids (0 = out of vocabulary, about one in six), multi-valued sets (sometimes empty), numerics with
    missing flags, labels per task with some missing (mask 0)."""
    cat = np.zeros((n, len(CAT_VOCAB)), dtype=np.int64)
    for f, v in enumerate(CAT_VOCAB):
        ids = rng.integers(1, v - 1, size=n)        # the last id of each field is never seen: its row stays
        oov = rng.random(n) < 0.17
        cat[:, f] = np.where(oov, 0, ids)
    multi = np.zeros((n, len(MULTI_VOCAB), MAX_MULTI), dtype=np.int64)
    for e in range(n):
        for f, v in enumerate(MULTI_VOCAB):
            k = int(rng.integers(0, MAX_MULTI + 1))
            vals = sorted(set(int(x) for x in rng.integers(1, v, size=k)))
            multi[e, f, :len(vals)] = vals
    num = rng.normal(0, 1.5, size=(n, N_NUM))
    miss = (rng.random((n, N_NUM)) < 0.25).astype(np.float64)
    num[miss == 1] = 0.0
    y = (rng.random((n, tasks)) < 0.4).astype(np.float64)
    mask = (rng.random((n, tasks)) < 0.8).astype(np.float64)
    mask[0, :] = 1.0  # every task labelled in every batch at least once
    for s in range(0, n, BATCH):
        mask[s, :] = 1.0
    y[mask == 0] = 0.0
    return cat, multi, num, miss, y, mask


class Params:
    """Named float64 leaf tensors in creation order (the Java model's order), plus per-field tables."""

    def __init__(self, gen):
        self.gen = gen
        self.dense = {}
        self.tables = []

    def uniform(self, name, shape, bound):
        t = (torch.rand(shape, generator=self.gen) * 2 - 1) * bound
        self.dense[name] = t.requires_grad_()
        return self.dense[name]

    def xavier(self, name, shape):
        fan_in, fan_out = shape[-2], shape[-1]
        return self.uniform(name, shape, math.sqrt(6.0 / (fan_in + fan_out)))

    def normal(self, name, shape, std, mean=0.0):
        t = torch.randn(shape, generator=self.gen) * std + mean
        self.dense[name] = t.requires_grad_()
        return self.dense[name]

    def table(self, rows, d):
        t = torch.randn((rows, d), generator=self.gen) * 0.1
        t[0].zero_()
        t.requires_grad_()
        self.tables.append(t)
        return t


class Tokens:
    """e_i of the categorical fields, the mean of a multi-valued field's rows (zero when empty), and
    num·w + missing·w_miss per numeric field."""

    def __init__(self, p, d):
        self.cat = [p.table(v, d) for v in CAT_VOCAB]
        self.multi = [p.table(v, d) for v in MULTI_VOCAB]
        self.num_w = p.normal("tok.num_w", (N_NUM, d), 0.1)
        self.num_miss = p.normal("tok.num_miss", (N_NUM, d), 0.1)

    def __call__(self, cat, multi, num, miss):
        toks = [F.embedding(cat[:, f], t, padding_idx=0, sparse=True) for f, t in enumerate(self.cat)]
        for f, t in enumerate(self.multi):
            e = F.embedding(multi[:, f], t, padding_idx=0, sparse=True)  # (B, W, d); id 0 gives zeros
            cnt = (multi[:, f] > 0).sum(-1, keepdim=True).clamp(min=1).to(e.dtype)
            toks.append(e.sum(1) / cnt)
        x = torch.stack(toks, 1)
        numeric = num.unsqueeze(-1) * self.num_w + miss.unsqueeze(-1) * self.num_miss
        return torch.cat([x, numeric], 1)


def layer_norm(p, name, x):
    return F.layer_norm(x, (x.shape[-1],), p.dense[name + ".gamma"], p.dense[name + ".beta"], LN_EPS)


def ln_params(p, name, d):
    p.normal(name + ".gamma", (d,), 0.1, mean=1.0)
    p.normal(name + ".beta", (d,), 0.1)


class HiformerLayer:
    """Composite low-rank projections of concat(E) to every query token's q and every token's k, v;
    token-specific O and FFN; post-LayerNorm (shared LNs). Tq = T when the layer is not pruned."""

    def __init__(self, p, name, T, Tq, d, H, dk, dv, rq, rk, rv, ffn, act):
        self.p, self.name, self.T, self.Tq, self.d, self.H, self.dk, self.dv, self.act = \
            p, name, T, Tq, d, H, dk, dv, act
        p.xavier(name + ".Uq.W", (T * d, rq))
        p.xavier(name + ".Vq.W", (rq, Tq * H * dk))
        p.xavier(name + ".Uk.W", (T * d, rk))
        p.xavier(name + ".Vk.W", (rk, T * H * dk))
        p.xavier(name + ".Uv.W", (T * d, rv))
        p.xavier(name + ".Vv.W", (rv, T * H * dv))
        p.xavier(name + ".Wo.W", (Tq, H * dv, d))
        p.uniform(name + ".Wo.b", (Tq, d), 0.1)
        ln_params(p, name + ".ln1", d)
        p.xavier(name + ".W1.W", (Tq, d, ffn))
        p.uniform(name + ".W1.b", (Tq, ffn), 0.1)
        p.xavier(name + ".W2.W", (Tq, ffn, d))
        p.uniform(name + ".W2.b", (Tq, d), 0.1)
        ln_params(p, name + ".ln2", d)

    def __call__(self, x):  # (B, T, d) -> (B, Tq, d)
        w = self.p.dense
        n = self.name
        B = x.shape[0]
        E = x.reshape(B, -1)
        q = (E @ w[n + ".Uq.W"] @ w[n + ".Vq.W"]).view(B, self.Tq, self.H, self.dk).transpose(1, 2)
        k = (E @ w[n + ".Uk.W"] @ w[n + ".Vk.W"]).view(B, self.T, self.H, self.dk).transpose(1, 2)
        v = (E @ w[n + ".Uv.W"] @ w[n + ".Vv.W"]).view(B, self.T, self.H, self.dv).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dk), -1)      # (B, H, Tq, T)
        ctx = (a @ v).transpose(1, 2).reshape(B, self.Tq, self.H * self.dv)        # (B, Tq, H·dv)
        o = torch.einsum("bic,icd->bid", ctx, w[n + ".Wo.W"]) + w[n + ".Wo.b"]
        h = layer_norm(self.p, n + ".ln1", x[:, self.T - self.Tq:] + o)
        f = self.act(torch.einsum("bid,idf->bif", h, w[n + ".W1.W"]) + w[n + ".W1.b"])
        f = torch.einsum("bif,ifd->bid", f, w[n + ".W2.W"]) + w[n + ".W2.b"]
        return layer_norm(self.p, n + ".ln2", h + f)


class Hiformer:
    def __init__(self, p, tasks, d, H, dk, rq, rk, rv, layers, ffn, head_hidden, act):
        self.p = p
        self.tasks = tasks
        self.tok = Tokens(p, d)
        T = len(CAT_VOCAB) + len(MULTI_VOCAB) + N_NUM + tasks
        self.task = p.normal("task", (tasks, d), 0.1)
        self.layers = [HiformerLayer(p, f"layer{i}", T, T, d, H, dk, dk, rq, rk, rv, ffn, act)
                       for i in range(layers)]
        for k in range(tasks):
            p.xavier(f"head{k}.0.W", (d, head_hidden))
            p.uniform(f"head{k}.0.b", (head_hidden,), 0.1)
            p.xavier(f"head{k}.1.W", (head_hidden, 1))
            p.uniform(f"head{k}.1.b", (1,), 0.1)

    def __call__(self, cat, multi, num, miss):  # -> logits (B, tasks)
        x = self.tok(cat, multi, num, miss)
        x = torch.cat([x, self.task.expand(x.shape[0], -1, -1)], 1)
        for layer in self.layers:
            x = layer(x)
        w = self.p.dense
        out = []
        for k in range(self.tasks):
            t = x[:, x.shape[1] - self.tasks + k]
            hidden = F.relu(t @ w[f"head{k}.0.W"] + w[f"head{k}.0.b"])
            out.append(hidden @ w[f"head{k}.1.W"] + w[f"head{k}.1.b"])
        return torch.cat(out, 1)


class Dcnv2:
    """x0 = concat(e); x_{l+1} = x0 ⊙ (x_l W_l + b_l) + x_l; MLP on x0 with ReLU after every layer;
    logits = [x_last; mlp(x0)] W_out + b_out."""

    def __init__(self, p, tasks, d, cross, mlp):
        self.p = p
        self.tok = Tokens(p, d)
        D = (len(CAT_VOCAB) + len(MULTI_VOCAB) + N_NUM) * d
        self.cross = cross
        for i in range(cross):
            p.xavier(f"cross{i}.W", (D, D))
            p.uniform(f"cross{i}.b", (D,), 0.1)
        dims = [D] + list(mlp)
        self.mlp = len(mlp)
        for i in range(len(mlp)):
            p.xavier(f"mlp.{i}.W", (dims[i], dims[i + 1]))
            p.uniform(f"mlp.{i}.b", (dims[i + 1],), 0.1)
        p.xavier("out.W", (D + mlp[-1], tasks))
        p.uniform("out.b", (tasks,), 0.1)

    def __call__(self, cat, multi, num, miss):
        w = self.p.dense
        x0 = self.tok(cat, multi, num, miss).flatten(1)
        x = x0
        for i in range(self.cross):
            x = x0 * (x @ w[f"cross{i}.W"] + w[f"cross{i}.b"]) + x
        m = x0
        for i in range(self.mlp):
            m = F.relu(m @ w[f"mlp.{i}.W"] + w[f"mlp.{i}.b"])
        return torch.cat([x, m], 1) @ w["out.W"] + w["out.b"]


def loss_of(logits, y, mask):
    """Σ over tasks of the mean BCE-with-logits over the events that carry that task's label."""
    total = 0
    for k in range(y.shape[1]):
        m = mask[:, k]
        if m.sum() > 0:
            per = F.binary_cross_entropy_with_logits(logits[:, k], y[:, k], reduction="none")
            total = total + (per * m).sum() / m.sum()
    return total


def trajectory(model, p, tasks, seed):
    rng = np.random.default_rng(seed)
    cat, multi, num, miss, y, mask = stream(rng, BATCH * STEPS, tasks)
    initial = {k: v.detach().tolist() for k, v in p.dense.items()}
    initial_tables = [t.detach().tolist() for t in p.tables]
    adam = torch.optim.Adam(list(p.dense.values()), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    adagrad = torch.optim.Adagrad(p.tables, lr=0.05, eps=1e-10, initial_accumulator_value=0.0)
    logits, losses = [], []
    for s in range(STEPS):
        sl = slice(s * BATCH, (s + 1) * BATCH)
        out = model(torch.from_numpy(cat[sl]), torch.from_numpy(multi[sl]), torch.from_numpy(num[sl]),
                    torch.from_numpy(miss[sl]))
        loss = loss_of(out, torch.from_numpy(y[sl]), torch.from_numpy(mask[sl]))
        logits.append(out.tolist())
        losses.append(float(loss))
        adam.zero_grad(set_to_none=True)
        adagrad.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()
        adagrad.step()
    names = {id(v): k for k, v in p.dense.items()}
    return dict(
        offsets=None,
        inputs=dict(cat=cat.tolist(), multi=multi.tolist(), num=num.tolist(), miss=miss.tolist(),
                    y=y.tolist(), mask=mask.tolist()),
        initial=initial, initial_tables=initial_tables, logits=logits, losses=losses,
        final={k: v.detach().tolist() for k, v in p.dense.items()},
        final_tables=[t.detach().tolist() for t in p.tables],
        adam={names[id(q)]: dict(exp_avg=st["exp_avg"].tolist(), exp_avg_sq=st["exp_avg_sq"].tolist())
              for q, st in adam.state.items()},
        adam_step=STEPS,
        adagrad_sum=[adagrad.state[t]["sum"].to_dense().tolist() for t in p.tables])


def properties(**kv):
    """The Java ModelConfig's toProperties() text for these settings (its defaults elsewhere)."""
    keys = ["kind", "d", "heads", "key-dim", "value-dim", "layers", "prune-last-layer", "rank-q", "rank-k",
            "rank-v", "full-rank", "ffn-activation", "ffn-hidden", "head-hidden", "cross-layers", "dcn-mlp",
            "dense-tokens", "dense-hidden", "tasks", "embedding-init-std", "seed"]
    return "".join(f"{k}={kv[k]}\n" for k in keys)


def write(path, description, model_config, tasks, result):
    result.pop("offsets")
    doc = dict(description=description, model_config=model_config,
               layout=dict(cat_vocab=CAT_VOCAB, multi_vocab=MULTI_VOCAB, max_multi=MAX_MULTI, n_num=N_NUM),
               batch=BATCH, steps=STEPS, tasks=tasks)
    doc.update(result)
    with open(path, "w") as f:
        json.dump(doc, f)
        f.write("\n")


def main(out_dir):
    optim = ("torch.optim.Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8) on the dense parameters, "
             "torch.optim.Adagrad(lr 0.05, eps 1e-10, initial accumulator 0) on the per-field sparse tables. ")
    d, H, dk, rq, rk, rv, ffn, head_hidden, tasks = 4, 2, 2, 3, 3, 5, 6, 5, 2
    gen = torch.Generator().manual_seed(11)
    p = Params(gen)
    model = Hiformer(p, tasks, d, H, dk, rq, rk, rv, layers=2, ffn=ffn, head_hidden=head_hidden, act=F.gelu)
    config = properties(kind="hiformer", d=d, heads=H, **{"key-dim": dk, "value-dim": dk, "layers": 2,
                        "prune-last-layer": "false", "rank-q": rq, "rank-k": rk, "rank-v": rv, "full-rank": "false",
                        "ffn-activation": "gelu", "ffn-hidden": ffn, "head-hidden": head_hidden, "cross-layers": 2,
                        "dcn-mlp": "64,32", "dense-tokens": 0, "dense-hidden": 64, "tasks": tasks,
                        "embedding-init-std": 0.01, "seed": 0})
    write(os.path.join(out_dir, "hiformer_2layer_gelu_2task.golden.json"),
          "Hiformer, 2 unpruned layers, exact GELU FFN of width 6, 2 tasks (labels sometimes missing), float64 "
          f"online predict-then-train for {STEPS} steps of {BATCH} events: " + optim
          + "Written by tools/torch-reference/make_model_goldens.py.", config, tasks, trajectory(model, p, tasks, 5))

    gen = torch.Generator().manual_seed(12)
    p = Params(gen)
    model = Dcnv2(p, 1, d, cross=2, mlp=[8, 6])
    config = properties(kind="dcnv2", d=d, heads=2, **{"key-dim": 8, "value-dim": 8, "layers": 1,
                        "prune-last-layer": "true", "rank-q": 64, "rank-k": 64, "rank-v": 128, "full-rank": "false",
                        "ffn-activation": "relu", "ffn-hidden": 64, "head-hidden": 32, "cross-layers": 2,
                        "dcn-mlp": "8,6", "dense-tokens": 0, "dense-hidden": 64, "tasks": 1,
                        "embedding-init-std": 0.01, "seed": 0})
    write(os.path.join(out_dir, "dcnv2_small.golden.json"),
          "DCN-v2, 2 cross layers, MLP 8-6 (ReLU after each), 1 task, float64 online predict-then-train for "
          f"{STEPS} steps of {BATCH} events: " + optim + "Written by tools/torch-reference/make_model_goldens.py.",
          config, 1, trajectory(model, p, 1, 6))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
