"""An independent PyTorch implementation of docs/PROTOCOL.md §2–§3 (Hiformer, DCN-v2, LR), for comparison.

Development tool only (Debian's python3-torch 1.13, the reference's version): it answers "does the
protocol itself, run with torch's generators, give the spread and means our Java implementation gives?"
and gives a same-machine speed baseline. Verified against hiformer_small.golden.json by --golden.

  /usr/bin/python3 reference.py --data ../../../shared/data --dataset criteo --model hiformer \
      --mode online --seeds 0,1,2
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

import prep


def xavier_(t, fan_in, fan_out):
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        t.uniform_(-bound, bound)


class Tokens(nn.Module):
    """cat / multi (mean) / num tokens, one shared table with row 0 = OOV (docs/PROTOCOL.md §2.1)."""

    def __init__(self, cat_vocab, multi_vocab, n_num, d, lr_model=False):
        super().__init__()
        sizes = list(cat_vocab) + list(multi_vocab)
        offs = [0]
        for s in sizes[:-1]:
            offs.append(offs[-1] + s - 1)
        self.register_buffer("offsets", torch.tensor(offs, dtype=torch.long))
        rows = 1 + sum(s - 1 for s in sizes)
        self.n_cat = len(cat_vocab)
        self.emb = nn.Embedding(rows, d, padding_idx=0, sparse=True)
        self.num_w = nn.Parameter(torch.zeros(n_num, d))
        self.num_miss = nn.Parameter(torch.zeros(n_num, d))
        if not lr_model:
            with torch.no_grad():
                self.emb.weight.normal_(0, 0.01)
                self.emb.weight[0].zero_()
                self.num_w.normal_(0, 0.01)
                self.num_miss.normal_(0, 0.01)
        else:
            with torch.no_grad():
                self.emb.weight.zero_()

    def forward(self, cat, multi, num, miss):
        toks = []
        nc = self.n_cat
        if nc:
            rows = torch.where(cat > 0, cat + self.offsets[:nc], torch.zeros_like(cat))
            toks.append(self.emb(rows))  # (B, nc, d)
        if multi.shape[1]:
            off = self.offsets[nc:].view(1, -1, 1)
            rows = torch.where(multi > 0, multi + off, torch.zeros_like(multi))
            e = self.emb(rows)  # (B, nm, W, d); row 0 is zero
            cnt = (multi > 0).sum(-1, keepdim=True).clamp(min=1).to(e.dtype)
            toks.append(e.sum(2) / cnt)
        if num.shape[1]:
            toks.append(num.unsqueeze(-1) * self.num_w + miss.unsqueeze(-1) * self.num_miss)
        return torch.cat(toks, 1)


class HiformerLayer(nn.Module):
    """One pruned (task-token query only) Hiformer layer, docs/PROTOCOL.md §2.2."""

    def __init__(self, T, d, H, dk, rq, rk, rv):
        super().__init__()
        self.T, self.d, self.H, self.dk = T, d, H, dk
        self.Uq = nn.Parameter(torch.empty(T * d, rq))
        self.Vq = nn.Parameter(torch.empty(rq, H * dk))
        self.Uk = nn.Parameter(torch.empty(T * d, rk))
        self.Vk = nn.Parameter(torch.empty(rk, T * H * dk))
        self.Uv = nn.Parameter(torch.empty(T * d, rv))
        self.Vv = nn.Parameter(torch.empty(rv, T * H * dk))
        self.Wo = nn.Parameter(torch.empty(1, H * dk, d))
        self.bo = nn.Parameter(torch.zeros(1, d))
        self.W1 = nn.Parameter(torch.empty(1, d, 4 * d))
        self.b1 = nn.Parameter(torch.zeros(1, 4 * d))
        self.W2 = nn.Parameter(torch.empty(1, 4 * d, d))
        self.b2 = nn.Parameter(torch.zeros(1, d))
        self.ln1 = nn.LayerNorm(d)
        self.ln2 = nn.LayerNorm(d)
        variant = os.environ.get("REF_VARIANT", "")
        for p in (self.Uq, self.Vq, self.Uk, self.Vk, self.Uv, self.Vv):
            if "uvslice" in variant:
                fi, fo = p.shape
                fi = fi // T if fi > 200 else fi
                fo = fo // T if fo >= T * H * dk else fo
                xavier_(p, fi, fo)
            else:
                xavier_(p, p.shape[0], p.shape[1])
        for p in (self.Wo, self.W1, self.W2):
            if "tail3d" in variant:
                nn.init.xavier_uniform_(p)
            else:
                xavier_(p, p.shape[1], p.shape[2])

    def forward(self, x):  # x (B, T, d) -> (B, d)
        B = x.shape[0]
        E = x.reshape(B, -1)
        q = (E @ self.Uq @ self.Vq).view(B, self.H, 1, self.dk)
        k = (E @ self.Uk @ self.Vk).view(B, self.T, self.H, self.dk).transpose(1, 2)
        v = (E @ self.Uv @ self.Vv).view(B, self.T, self.H, self.dk).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.dk), -1)
        ctx = (a @ v).reshape(B, self.H * self.dk)
        o = ctx @ self.Wo[0] + self.bo[0]
        h = self.ln1(x[:, -1] + o)
        f = F.relu(h @ self.W1[0] + self.b1[0]) @ self.W2[0] + self.b2[0]
        return self.ln2(h + f)


class Head(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 1))
        for m in (self.net[0], self.net[2]):
            if "torchhead" in os.environ.get("REF_VARIANT", ""):
                continue
            xavier_(m.weight, m.weight.shape[1], m.weight.shape[0])
            nn.init.zeros_(m.bias)

    def forward(self, y):
        return self.net(y).squeeze(-1)


class Hiformer(nn.Module):
    def __init__(self, schema, d=16, H=2, dk=8, rq=64, rk=64, rv=128):
        super().__init__()
        self.tok = Tokens(schema["cat_vocab"], schema["multi_vocab"], schema["n_num"], d)
        T = len(schema["cat_vocab"]) + len(schema["multi_vocab"]) + schema["n_num"] + 1
        self.task = nn.Parameter(torch.empty(d).normal_(0, 0.01))
        self.layers = nn.ModuleList([HiformerLayer(T, d, H, dk, rq, rk, rv)])
        self.head = Head(d)

    def forward(self, cat, multi, num, miss):
        x = self.tok(cat, multi, num, miss)
        x = torch.cat([x, self.task.expand(x.shape[0], 1, -1)], 1)
        return self.head(self.layers[0](x))


class Dcnv2(nn.Module):
    def __init__(self, schema, d=16):
        super().__init__()
        self.tok = Tokens(schema["cat_vocab"], schema["multi_vocab"], schema["n_num"], d)
        L = len(schema["cat_vocab"]) + len(schema["multi_vocab"]) + schema["n_num"]
        D = L * d
        self.cross = nn.ModuleList([nn.Linear(D, D) for _ in range(2)])
        self.mlp = nn.Sequential(nn.Linear(D, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.out = nn.Linear(D + 32, 1)
        for m in list(self.cross) + [self.mlp[0], self.mlp[2], self.out]:
            xavier_(m.weight, m.weight.shape[1], m.weight.shape[0])
            nn.init.zeros_(m.bias)

    def forward(self, cat, multi, num, miss):
        x0 = self.tok(cat, multi, num, miss).flatten(1)
        x = x0
        for c in self.cross:
            x = x0 * c(x) + x
        return self.out(torch.cat([x, self.mlp(x0)], 1)).squeeze(-1)


class Lr(nn.Module):
    def __init__(self, schema):
        super().__init__()
        self.tok = Tokens(schema["cat_vocab"], schema["multi_vocab"], schema["n_num"], 1, lr_model=True)
        self.b = nn.Parameter(torch.zeros(1))

    def forward(self, cat, multi, num, miss):
        return self.tok(cat, multi, num, miss).sum((1, 2)) + self.b


MODELS = {"hiformer": Hiformer, "dcnv2": Dcnv2, "lr": Lr}

GOLDEN_ORDER = ["task", "tok.num_w", "tok.num_miss", "tok.emb.weight"]


def reinit_registration_order(model, seed):
    """Re-draws a Hiformer's weights as a module built in the golden file's parameter order would:
    construction consumes the generator (nn.Embedding's normal_, nn.Linear's kaiming/uniform), then one
    pass over the parameters applies the protocol's initialisation."""
    v = os.environ.get("REF_VARIANT", "")
    torch.manual_seed(seed)
    if "noemb" not in v:
        torch.empty_like(model.tok.emb.weight).normal_()
    if "nolin" not in v:
        for m in (model.head.net[0], model.head.net[2]):
            nn.Linear(m.in_features, m.out_features)
    params = dict(model.named_parameters())
    order = GOLDEN_ORDER + [n for n in params if n not in GOLDEN_ORDER]
    with torch.no_grad():
        for n in order:
            p = params[n]
            if n in GOLDEN_ORDER:
                p.normal_(0, 0.01)
                if n == "tok.emb.weight":
                    p[0].zero_()
            elif p.dim() == 3 and "torch3d" in v:
                nn.init.xavier_uniform_(p)
            elif p.dim() == 3:
                for s in range(p.shape[0]):
                    xavier_(p[s], p.shape[1], p.shape[2])
            elif p.dim() == 2:
                xavier_(p, p.shape[0], p.shape[1])
            elif n.endswith("ln1.weight") or n.endswith("ln2.weight"):
                p.fill_(1.0)
            else:
                p.zero_()


def optimizers(model):
    emb = [model.tok.emb.weight]
    dense = [p for n, p in model.named_parameters() if n != "tok.emb.weight"]
    return [torch.optim.Adam(dense, lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
            torch.optim.Adagrad(emb, lr=0.05, eps=1e-10, initial_accumulator_value=0.0)]


def tensors(d, idx, dtype):
    return (torch.from_numpy(d["cat"][idx]), torch.from_numpy(d["multi"][idx]),
            torch.from_numpy(d["num"][idx]).to(dtype), torch.from_numpy(d["miss"][idx]).to(dtype),
            torch.from_numpy(d["y"][idx]).to(dtype))


def step(model, opts, batch):
    cat, multi, num, miss, y = batch
    logits = model(cat, multi, num, miss)
    loss = F.binary_cross_entropy_with_logits(logits, y)
    for o in opts:
        o.zero_grad(set_to_none=True)
    loss.backward()
    for o in opts:
        o.step()
    return logits.detach()


def logloss(y, p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def schema_of(d):
    return dict(cat_vocab=d["cat_vocab"], multi_vocab=d["multi_vocab"], n_num=d["num"].shape[1])


def online(d, model_name, seed, dtype, bs=256):
    torch.manual_seed(seed)
    model = MODELS[model_name](schema_of(d))
    if "regorder" in os.environ.get("REF_VARIANT", ""):
        reinit_registration_order(model, seed)
    model = model.to(dtype)
    opts = optimizers(model)
    n = len(d["y"])
    preds = np.empty(n)
    t0 = time.perf_counter()
    for s in range(0, n, bs):
        idx = np.arange(s, min(n, s + bs))
        preds[idx] = torch.sigmoid(step(model, opts, tensors(d, idx, dtype))).numpy()
    secs = time.perf_counter() - t0
    y = d["y"]
    last = int(0.8 * n)
    return dict(auc=roc_auc_score(y, preds), logloss=logloss(y, preds),
                auc_last20=roc_auc_score(y[last:], preds[last:]), examples_per_s=n / secs)


def mask_oov(d, train_end):
    out = dict(d)
    cat = d["cat"].copy()
    mx = cat[:train_end].max(0)
    cat[cat > mx] = 0
    out["cat"] = cat
    if d["multi"].shape[1]:
        multi = d["multi"].copy()
        mm = multi[:train_end].max((0, 2)).reshape(1, -1, 1)
        multi[multi > mm] = 0
        out["multi"] = multi
    return out


def predict(model, d, idx, dtype):
    with torch.no_grad():
        cat, multi, num, miss, y = tensors(d, idx, dtype)
        return torch.sigmoid(model(cat, multi, num, miss)).numpy()


def offline(d, model_name, seed, dtype, bs=256, epochs=5):
    n = len(d["y"])
    tr, va = int(0.7 * n), int(0.8 * n)
    d = mask_oov(d, tr)
    torch.manual_seed(seed)
    model = MODELS[model_name](schema_of(d)).to(dtype)
    opts = optimizers(model)
    gen = torch.Generator().manual_seed(1000 + seed)
    best, best_state, best_epoch, vals = -1.0, None, 0, []
    for ep in range(1, epochs + 1):
        perm = torch.randperm(tr, generator=gen).numpy()
        for s in range(0, tr, bs):
            step(model, opts, tensors(d, perm[s:s + bs], dtype))
        v = roc_auc_score(d["y"][tr:va], predict(model, d, np.arange(tr, va), dtype))
        vals.append(v)
        if v > best:
            best, best_epoch = v, ep
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
        else:
            break
    model.load_state_dict(best_state)
    p = predict(model, d, np.arange(va, n), dtype)
    y = d["y"][va:]
    return dict(auc=roc_auc_score(y, p), logloss=logloss(y, p), best_epoch=best_epoch, val=vals)


def golden(path):
    g = json.load(open(path))
    c = g["config"]
    schema = dict(cat_vocab=c["schema"]["cat_vocab"], multi_vocab=c["schema"]["multi_vocab"],
                  n_num=c["schema"]["n_num"])
    m = Hiformer(schema, d=c["d"], H=c["heads"], dk=c["dk"], rq=c["rq"], rk=c["rk"], rv=c["rv"]).double()
    sd = m.state_dict()
    for k, v in g["params"].items():
        sd[k.replace("tail.", "")].copy_(torch.tensor(v, dtype=torch.float64))
    i = g["inputs"]
    logits = m(torch.tensor(i["cat"]), torch.tensor(i["multi"]), torch.tensor(i["num"], dtype=torch.float64),
               torch.tensor(i["miss"], dtype=torch.float64))
    loss = F.binary_cross_entropy_with_logits(logits, torch.tensor(i["y"], dtype=torch.float64))
    loss.backward()
    worst = 0.0
    for k, p in m.named_parameters():
        gr = p.grad.to_dense() if p.grad.is_sparse else p.grad
        key = k if not k.startswith("layers.0.") or k.split(".")[2][0] in "UV" else k.replace(
            "layers.0.", "layers.0.tail.")
        ref = torch.tensor(g["grads"][key], dtype=torch.float64)
        worst = max(worst, float((gr - ref).abs().max() / (ref.abs().max() + 1e-30)))
    print("golden: max |logit diff| %.3g, loss diff %.3g, worst grad rel %.3g" % (
        float((logits - torch.tensor(g["logits"])).abs().max()), abs(float(loss) - g["loss"]), worst))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../../../shared/data")
    ap.add_argument("--dataset", default="movielens")
    ap.add_argument("--model", default="hiformer")
    ap.add_argument("--mode", default="online")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--double", action="store_true")
    ap.add_argument("--golden")
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.golden:
        golden(a.golden)
        return
    d = prep.load(a.dataset, a.data)
    dtype = torch.float64 if a.double else torch.float32
    res = []
    for s in [int(x) for x in a.seeds.split(",")]:
        r = (online if a.mode == "online" else offline)(d, a.model, s, dtype)
        res.append(r)
        print(json.dumps(dict(seed=s, **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})),
              flush=True)
    aucs = np.array([r["auc"] for r in res])
    print("%s %s %s: AUC mean %.4f std(n-1) %.4f std(n) %.4f logloss %.4f" % (
        a.dataset, a.model, a.mode, aucs.mean(), aucs.std(ddof=1) if len(aucs) > 1 else 0, aucs.std(),
        np.mean([r["logloss"] for r in res])))


if __name__ == "__main__":
    main()
