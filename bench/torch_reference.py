#!/usr/bin/env python3
"""PyTorch reference for `npm run bench` (run with Debian's /usr/bin/python3 and python3-torch).

Times, on this machine's CPU with the thread count given:
  training: the U-Net SegLab's bench trains (by default depth 3, 16 base filters, no batch norm; two
            3x3 conv (+ batch norm with --bn) + ReLU per level, 2x2 max-pool, 2x2 stride-2 transposed
            conv up, skip concat, 1x1 head), batch 8, Adam, BCE with logits; images/s as the median of
            timed steps (--depth, --base, --size, --batch, --bn for the real-size nets;
            --training-only skips the losses);
  losses:   BCE with logits, 2-channel softmax cross-entropy and soft Dice (sigmoid of logits,
            batch-wide sums, smooth 1e-5) on 8x512x512 logits, forward only, median ms.
Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, bn):
    # SegLab's layer: 3x3 same conv (no bias before batch norm), batch norm when enabled, ReLU.
    if bn:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
    return [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU()]


class Block(nn.Sequential):
    def __init__(self, cin, cout, bn=False):
        super().__init__(*conv(cin, cout, bn), *conv(cout, cout, bn))


class UNet(nn.Module):
    def __init__(self, depth=3, base=16, cin=1, cout=1, bn=False):
        super().__init__()
        self.down = nn.ModuleList()
        c = cin
        for level in range(depth):
            self.down.append(Block(c, base * 2**level, bn))
            c = base * 2**level
        self.bottom = Block(c, base * 2**depth, bn)
        self.up = nn.ModuleList()
        self.dec = nn.ModuleList()
        for level in reversed(range(depth)):
            f = base * 2**level
            self.up.append(nn.ConvTranspose2d(f * 2, f, 2, stride=2))
            self.dec.append(Block(f * 2, f, bn))
        self.head = nn.Conv2d(base, cout, 1)

    def forward(self, x):
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.bottom(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([skip, up(x)], 1))
        return self.head(x)


def timed(fn, repeats):
    fn()
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--depth', type=int, default=3)
    ap.add_argument('--base', type=int, default=16)
    ap.add_argument('--bn', action='store_true')
    ap.add_argument('--training-only', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)

    model = UNet(a.depth, a.base, bn=a.bn)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 1, a.size, a.size)
    y = (torch.randn(a.batch, 1, a.size, a.size) > 0.5).float()

    def step():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(x), y)
        loss.backward()
        opt.step()

    seconds = timed(step, a.steps)
    training = {'size': a.size, 'batch': a.batch, 'depth': a.depth, 'base': a.base, 'batchNorm': a.bn,
                'secondsPerStep': round(seconds, 4), 'imagesPerSecond': round(a.batch / seconds, 3),
                'parameters': sum(p.numel() for p in model.parameters())}
    if a.training_only:
        print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'training': training}))
        return

    g = torch.Generator().manual_seed(2)
    logits = (torch.rand(8, 1, 512, 512, generator=g) - 0.5) * 8
    target = (torch.rand(8, 1, 512, 512, generator=g) < 0.22).float()
    logits2 = torch.cat([-logits, logits], 1)
    index = target[:, 0].long()

    def dice():
        p = torch.sigmoid(logits)
        inter = (p * target).sum()
        return 1 - (2 * inter + 1e-5) / (p.sum() + target.sum() + 1e-5)

    losses = {
        'bceWithLogits': timed(lambda: F.binary_cross_entropy_with_logits(logits, target).item(), a.repeats),
        'crossEntropy': timed(lambda: F.cross_entropy(logits2, index).item(), a.repeats),
        'dice': timed(lambda: dice().item(), a.repeats),
    }
    print(json.dumps({
        'torch': torch.__version__,
        'threads': a.threads,
        'training': training,
        'lossesMs': {k: round(v * 1000, 3) for k, v in losses.items()},
    }))


if __name__ == '__main__':
    main()
