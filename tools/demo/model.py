"""The demo model in PyTorch: DeepSeek-V3's architecture at a small size, written as llama.cpp's deepseek2 runs it.

Shapes in comments: T tokens, D hidden, H heads. MLA is written in its naive (training) form; llama.cpp's absorbed form
computes the same numbers. RoPE rotates adjacent pairs (x[2i], x[2i+1]) of the rope slice (llama.cpp's NORM type).
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab: int = 2048
    dim: int = 256               # D
    layers: int = 6
    dense_layers: int = 1        # leading layers with a dense FFN
    heads: int = 8               # H
    q_lora: int = 128
    kv_lora: int = 64
    nope: int = 32               # qk_nope_head_dim
    rope: int = 32               # qk_rope_head_dim
    v_dim: int = 32
    dense_ffn: int = 768
    experts: int = 16
    expert_ffn: int = 192
    top_k: int = 4
    shared_experts: int = 1
    groups: int = 4
    groups_used: int = 2
    route_scale: float = 2.5
    eps: float = 1e-6
    rope_theta: float = 10000.0
    context: int = 256

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, positions):
    """cos, sin [T, rope/2] for the given positions."""
    inv = cfg.rope_theta ** (-torch.arange(0, cfg.rope, 2, dtype=torch.float64) / cfg.rope)
    ang = positions.to(torch.float64)[..., None] * inv
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x, cos, sin):
    """x [..., T, rope], rotating pairs (2i, 2i+1)."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    y0 = x0 * cos - x1 * sin
    y1 = x0 * sin + x1 * cos
    return torch.stack((y0, y1), dim=-1).flatten(-2)


class MLA(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        H = cfg.heads
        self.q_a = nn.Linear(cfg.dim, cfg.q_lora, bias=False)
        self.q_a_norm = RMSNorm(cfg.q_lora, cfg.eps)
        self.q_b = nn.Linear(cfg.q_lora, H * (cfg.nope + cfg.rope), bias=False)
        self.kv_a = nn.Linear(cfg.dim, cfg.kv_lora + cfg.rope, bias=False)
        self.kv_a_norm = RMSNorm(cfg.kv_lora, cfg.eps)
        self.kv_b = nn.Linear(cfg.kv_lora, H * (cfg.nope + cfg.v_dim), bias=False)  # per head: [k_nope rows, v rows]
        self.out = nn.Linear(H * cfg.v_dim, cfg.dim, bias=False)

    def forward(self, x, cos, sin, mask):
        c = self.cfg
        B, T, _ = x.shape
        q = self.q_b(self.q_a_norm(self.q_a(x))).view(B, T, c.heads, c.nope + c.rope).transpose(1, 2)  # [B,H,T,96]
        q_nope, q_pe = q.split([c.nope, c.rope], dim=-1)
        kv_a = self.kv_a(x)                                                  # [B,T,kv_lora+rope]
        latent, k_pe = kv_a.split([c.kv_lora, c.rope], dim=-1)
        kv = self.kv_b(self.kv_a_norm(latent)).view(B, T, c.heads, c.nope + c.v_dim).transpose(1, 2)
        k_nope, v = kv.split([c.nope, c.v_dim], dim=-1)                       # [B,H,T,nope], [B,H,T,v]
        q_pe = apply_rope(q_pe, cos, sin)
        k_pe = apply_rope(k_pe[:, None], cos, sin).expand(B, c.heads, T, c.rope)  # one rope key for all heads
        qk = torch.cat([q_nope, q_pe], -1)
        k = torch.cat([k_nope, k_pe], -1)
        scores = (qk @ k.transpose(-1, -2)) * (1.0 / math.sqrt(c.nope + c.rope))
        scores = scores.masked_fill(~mask[:, None], float("-inf"))
        o = F.softmax(scores, dim=-1) @ v                                    # [B,H,T,v]
        return self.out(o.transpose(1, 2).reshape(B, T, c.heads * c.v_dim))


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.gate = nn.Linear(dim, hidden, bias=False)
        self.up = nn.Linear(dim, hidden, bias=False)
        self.down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class MoE(nn.Module):
    """Sigmoid routing with a selection-only bias, group-limited top-k, renormalised and scaled weights, shared expert."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        E, D, F_ = cfg.experts, cfg.dim, cfg.expert_ffn
        self.router = nn.Linear(D, E, bias=False)
        self.register_buffer("bias", torch.zeros(E))  # e_score_correction_bias, moved by load balancing, not by SGD
        self.w_gate = nn.Parameter(torch.empty(E, F_, D))
        self.w_up = nn.Parameter(torch.empty(E, F_, D))
        self.w_down = nn.Parameter(torch.empty(E, D, F_))
        self.shared = SwiGLU(D, F_ * cfg.shared_experts)
        self.last_load = None

    def route(self, x):
        """x [N, D] -> expert ids [N, k], weights [N, k]."""
        c = self.cfg
        s = torch.sigmoid(self.router(x).float())                          # [N, E] affinities
        sb = (s + self.bias).detach()
        g = sb.view(-1, c.groups, c.experts // c.groups).topk(2, dim=-1).values.sum(-1)   # [N, groups]
        keep = g.topk(c.groups_used, dim=-1).indices
        gmask = torch.zeros_like(g, dtype=torch.bool).scatter_(1, keep, True)
        sb = sb.masked_fill(~gmask.repeat_interleave(c.experts // c.groups, dim=1), float("-inf"))
        idx = sb.topk(c.top_k, dim=-1).indices
        w = s.gather(1, idx)
        w = w / w.sum(-1, keepdim=True).clamp_min(6.103515625e-5) * c.route_scale
        return idx, w

    def forward(self, x):
        B, T, D = x.shape
        flat = x.reshape(-1, D)
        idx, w = self.route(flat)
        out = torch.zeros_like(flat)
        load = torch.bincount(idx.flatten(), minlength=self.cfg.experts)
        self.last_load = load.detach()
        for e in range(self.cfg.experts):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            h = flat[tok]
            y = (F.silu(h @ self.w_gate[e].t()) * (h @ self.w_up[e].t())) @ self.w_down[e].t()
            out.index_add_(0, tok, y * w[tok, slot, None])
        return (out + self.shared(flat)).view(B, T, D)


class Block(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.eps)
        self.attn = MLA(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.eps)
        self.ffn = SwiGLU(cfg.dim, cfg.dense_ffn) if layer < cfg.dense_layers else MoE(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.ffn(self.ffn_norm(x))


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg, i) for i in range(cfg.layers))
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        self.head = nn.Linear(cfg.dim, cfg.vocab, bias=False)
        self.init_weights()

    def init_weights(self):
        n = len(self.blocks)
        for name, p in self.named_parameters():
            if p.dim() < 2:
                continue
            std = 0.02
            if name.endswith("out.weight") or name.endswith("down.weight") or name.endswith("w_down"):
                std = 0.02 / math.sqrt(2 * n)
            nn.init.normal_(p, 0.0, std)

    def moe_layers(self):
        return [b.ffn for b in self.blocks if isinstance(b.ffn, MoE)]

    def forward(self, ids, positions, mask):
        """ids, positions [B, T]; mask [B, T, T] (True = may attend). Returns logits [B, T, V]."""
        cos, sin = rope_tables(self.cfg, positions)
        cos, sin = cos[:, None], sin[:, None]                              # broadcast over heads
        x = self.embed(ids)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.head(self.norm(x))


def causal_mask(T, device=None):
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()[None]
