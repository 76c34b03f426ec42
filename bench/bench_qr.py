"""qr benchmarks: ``python bench/bench_qr.py [--photos N] [--seeds 2026,7,11]`` prints JSON.

Measures payload build and parse+validate per second (one core, one process), PNG renders per
second, the A4 sticker sheet for 500 vendors, and decode rate and median ms per photo severity for
plain pyzbar and for ``qr.scan`` on the seeded corpus of bench/photo_corpus.py (seed 2026), then
``qr.scan`` on N moderate photos for each of ``--seeds`` and in total.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import photo_corpus

import qr
from qr.scan import scan_plain

SHEET_VENDORS = 500


def _codes(count: int) -> list[qr.VietQR]:
    rng = random.Random(1)
    bins = [b.bin for b in qr.banks()]
    return [
        qr.VietQR(
            bin=rng.choice(bins),
            account=str(rng.randrange(10**9, 10**13)),
            amount=rng.choice([None, rng.randrange(1000, 10**7)]),
            purpose=f"MP{i:08d}",
            merchant_name="Ba Hoa rau",
        )
        for i in range(count)
    ]


def _rate(func, items) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for item in items:
        func(item)
    return len(items) / (time.perf_counter() - started)


def _rates(func, items, runs: int = 3) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Best of ``runs`` by wall clock and by this process's CPU time: on a shared 2-core VM
    other processes take turns on our core, so wall time undercounts one core's throughput."""
    wall, cpu = 0.0, 0.0
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        for item in items:
            func(item)
        wall = max(wall, len(items) / (time.perf_counter() - started))
        cpu = max(cpu, len(items) / (time.process_time() - started_cpu))
    return {"wall_per_s": round(wall), "cpu_per_s": round(cpu)}


def _moderate_seeds(seeds: list[int], count: int) -> dict[str, object]:
    """``qr.scan`` on moderate photos for each seed and in total."""
    per_seed: dict[str, object] = {}
    found_all = wrong_all = total = 0
    times: list[float] = []
    for seed in seeds:
        found = wrong = 0
        for photo in photo_corpus.photos("moderate", count, seed=seed):
            started = time.perf_counter()
            got = qr.scan(photo.jpeg)
            times.append((time.perf_counter() - started) * 1000)
            found += photo.payload in got
            wrong += sum(p != photo.payload for p in got)
        per_seed[str(seed)] = {"decoded": f"{found}/{count}", "wrong": wrong}
        found_all, wrong_all, total = found_all + found, wrong_all + wrong, total + count
    per_seed["total"] = {
        "decoded": f"{found_all}/{total}",
        "rate": round(found_all / total, 3),
        "wrong": wrong_all,
        "median_ms": round(statistics.median(times), 1),
    }
    return per_seed


def main(argv: list[str]) -> int:
    photos = int(argv[argv.index("--photos") + 1]) if "--photos" in argv else 100
    seeds_text = argv[argv.index("--seeds") + 1] if "--seeds" in argv else "2026,7,11"
    seeds = [int(s) for s in seeds_text.split(",")]
    codes = _codes(20_000)
    payloads = [qr.build(c) for c in codes]
    result: dict[str, object] = {
        "build_per_s": round(_rate(qr.build, codes)),
        "parse_validate": _rates(qr.parse, payloads),
        "png_render_per_s": round(_rate(qr.render_png, payloads[:300]), 1),
    }
    infos = [
        qr.StickerInfo(
            payload=p,
            vendor_name=f"Sạp {i} Bà Hoa",
            bank_short_name="Agribank",
            account=c.account,
            market="Chợ Đại Từ",
            stall=str(i),
        )
        for i, (c, p) in enumerate(zip(codes[:SHEET_VENDORS], payloads, strict=False))
    ]
    started, started_cpu = time.perf_counter(), time.process_time()
    pdf = qr.sticker_sheet_pdf(infos)
    result["sheet_500_s"] = round(time.perf_counter() - started, 2)
    result["sheet_500_cpu_s"] = round(time.process_time() - started_cpu, 2)
    result["sheet_500_bytes"] = len(pdf)
    for severity in photo_corpus.SEVERITIES:
        corpus = list(photo_corpus.photos(severity, photos))
        for name, decode in (("pyzbar", scan_plain), ("scan", qr.scan)):
            found = wrong = 0
            times = []
            for photo in corpus:
                started = time.perf_counter()
                got = decode(photo.jpeg)
                times.append((time.perf_counter() - started) * 1000)
                found += photo.payload in got
                wrong += sum(p != photo.payload for p in got)
            result[f"{severity}_{name}"] = {
                "decoded": f"{found}/{len(corpus)}",
                "rate": round(found / len(corpus), 3),
                "wrong": wrong,
                "median_ms": round(statistics.median(times), 1),
            }
    result["moderate_scan_by_seed"] = _moderate_seeds(seeds, photos)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
