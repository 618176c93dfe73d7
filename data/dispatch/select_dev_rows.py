#!/usr/bin/env python3
"""Select the 200-row leaf-category development set from the TRAINING rows.

Selection (deterministic): rows of messages_labeled_partial.csv with 划分 == "train";
key = sha1(UTF-8 文本).hexdigest(); sort by key; take the first 200.
`row` is the 1-based data row number in the source file (header excluded).

Usage:
  select_dev_rows.py                      # print the selection (row, sha1, 一级标签, 文本) as CSV
  select_dev_rows.py --labels L.csv       # L.csv has columns row,leaf (hand labels);
                                          # writes data/dispatch/leaf_dev.csv
"""
import argparse
import csv
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
# ../shared beside the repository, as CI has it; APPEALS_PARTIAL overrides.
SRC = os.environ.get("APPEALS_PARTIAL",
                     os.path.join(REPO, "..", "shared", "data", "appeals", "messages_labeled_partial.csv"))
CATS = os.path.join(REPO, "data", "demo", "categories.json")
OUT = os.path.join(HERE, "leaf_dev.csv")
N = 200


def select(path=SRC, n=N):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    picked = []
    for i, r in enumerate(rows, start=1):
        if r["划分"] != "train":
            continue
        h = hashlib.sha1(r["文本"].encode("utf-8")).hexdigest()
        picked.append((h, i, r))
    picked.sort(key=lambda t: (t[0], t[1]))
    return [(i, h, r) for h, i, r in picked[:n]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", help="CSV with columns row,leaf")
    ap.add_argument("--out", default=OUT)
    a = ap.parse_args()
    sel = select()
    if not a.labels:
        w = csv.writer(sys.stdout)
        w.writerow(["row", "sha1", "一级标签", "text"])
        for i, h, r in sel:
            w.writerow([i, h, r["一级标签"], r["文本"]])
        return
    cats = {c["code"]: c for c in json.load(open(CATS, encoding="utf-8"))}
    first = {c["name"]: c["code"] for c in cats.values() if c["parent"] is None}
    with open(a.labels, encoding="utf-8", newline="") as f:
        labels = {int(r["row"]): r["leaf"].strip() for r in csv.DictReader(f)}
    missing = [i for i, _, _ in sel if i not in labels]
    if missing:
        sys.exit(f"unlabelled rows: {missing}")
    with open(a.out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(["row", "sha1", "first_level", "leaf", "leaf_name", "text"])
        for i, h, r in sel:
            fl = first[r["一级标签"]]
            leaf = labels[i]
            if leaf not in cats or cats[leaf]["parent"] != fl:
                sys.exit(f"row {i}: leaf {leaf} is not under {fl}")
            w.writerow([i, h, fl, leaf, cats[leaf]["name"], r["文本"]])
    print(f"wrote {len(sel)} rows to {a.out}")


if __name__ == "__main__":
    main()
