#!/usr/bin/env python3
"""Generate the demo district boundaries (boundaries.geojson) and the gazetteer (places.json).

Deterministic, standard library only.  Reads units.json next to this script and writes
boundaries.geojson and places.json next to it.

Method
------
1. A jittered lattice of ~100 m cells is laid over the area (local metric coordinates).
2. The district is the set of cells inside an irregular blob (largest component, holes filled).
3. The district cells are split into streets, each street's cells into its communities and each
   community's cells into its grids (warped k-means on cell centres, connectivity enforced).
   So every unit is a union of cells and the hierarchy nests exactly.
4. The boundaries between grid-level regions are traced once as shared "arcs" (polylines between
   junction nodes, like TopoJSON) and each arc is simplified once (Douglas-Peucker, endpoints fixed).
   Every polygon of every level is assembled from those same arcs, so neighbours share identical
   vertices and children tile their parent exactly.
5. Coordinates are converted to WGS84 lon/lat and rounded (6 decimals) per vertex, once.

Checks (printed, non-zero exit on failure): one feature per unit, no crossing/overlapping segments,
CCW exterior rings, children's areas sum to the parent's area (1e-9 relative), and 10,000 random
points in the district each fall in exactly one grid (and exactly one community/street, consistent
with the hierarchy).  places.json entries are located by point-in-polygon.
"""
import json
import math
import os
import random
import sys
import zlib
from collections import defaultdict, deque

HERE = os.path.dirname(os.path.abspath(__file__))
UNITS_PATH = os.path.join(HERE, "units.json")
OUT_PATH = os.path.join(HERE, "boundaries.geojson")
PLACES_PATH = os.path.join(HERE, "places.json")

SEED = 20240601
CELL = 100.0             # lattice cell size, metres
NX, NY = 104, 84         # lattice size in cells (padded around the district)
JITTER = 0.22            # lattice vertex jitter, fraction of CELL
SEMI_X, SEMI_Y = 3650.0, 3050.0   # district blob semi-axes, metres (~8.3 km x 6.1 km incl. wobble)
SIMPLIFY_TOL = 1.0 * CELL         # Douglas-Peucker tolerance for shared arcs, metres
WIGGLE = 0.10                     # midpoint displacement, fraction of segment length
WIGGLE_MIN_SEG = 180.0            # only segments longer than this (metres) get a wiggle vertex
LON0, LAT0 = 116.2500, 39.8800    # district centre
M_PER_DEG_LON = 111320.0 * math.cos(math.radians(LAT0))
M_PER_DEG_LAT = 110574.0
NDIGITS = 6
LEVELS = ("district", "street", "community", "grid")

# Street seed positions (fractions of the semi-axes) so that streets land in plausible places.
STREET_SEEDS = {
    "st-yx": (0.00, 0.02),    # centre: district government
    "st-wh": (-0.60, 0.35),   # north-west, around the lake
    "st-qs": (0.20, 0.62),    # north
    "st-jq": (0.66, -0.12),   # east, science park
    "st-ty": (-0.30, -0.58),  # south / south-west, former villages
}

# Gazetteer: (name, kind, community code).  Coordinates are picked inside the community.
PLACES = [
    ("云溪区人民政府", "landmark", "cm-yx-1"),
    ("云溪区政务服务中心", "landmark", "cm-yx-1"),
    ("府前街", "road", "cm-yx-1"),
    ("府前花园", "residential", "cm-yx-1"),
    ("云溪区图书馆", "landmark", "cm-yx-1"),
    ("云溪路", "road", "cm-yx-2"),
    ("翠苑小区", "residential", "cm-yx-2"),
    ("云溪区第一实验小学", "school", "cm-yx-2"),
    ("翠苑农贸市场", "market", "cm-yx-2"),
    ("新华街", "road", "cm-yx-3"),
    ("新华里小区", "residential", "cm-yx-3"),
    ("云溪区人民医院", "hospital", "cm-yx-3"),
    ("云溪公园", "park", "cm-yx-3"),
    ("东关街", "road", "cm-yx-4"),
    ("东关南里", "residential", "cm-yx-4"),
    ("东关菜市场", "market", "cm-yx-4"),
    ("云溪路地铁站", "landmark", "cm-yx-4"),
    ("望湖大街", "road", "cm-wh-1"),
    ("望湖公园", "park", "cm-wh-1"),
    ("望湖家园", "residential", "cm-wh-1"),
    ("云溪中学", "school", "cm-wh-1"),
    ("湖畔路", "road", "cm-wh-2"),
    ("湖畔名苑", "residential", "cm-wh-2"),
    ("望湖街道社区卫生服务中心", "hospital", "cm-wh-2"),
    ("柳荫街", "road", "cm-wh-3"),
    ("柳荫里小区", "residential", "cm-wh-3"),
    ("柳荫小学", "school", "cm-wh-3"),
    ("湖西综合市场", "market", "cm-wh-3"),
    ("青石路", "road", "cm-qs-1"),
    ("青石桥小区", "residential", "cm-qs-1"),
    ("青石桥菜市场", "market", "cm-qs-1"),
    ("云溪区中医医院", "hospital", "cm-qs-1"),
    ("石榴园路", "road", "cm-qs-2"),
    ("石榴园小区", "residential", "cm-qs-2"),
    ("云溪区第二中学", "school", "cm-qs-2"),
    ("石榴园体育公园", "park", "cm-qs-2"),
    ("北苑路", "road", "cm-qs-3"),
    ("北苑嘉园", "residential", "cm-qs-3"),
    ("北苑幼儿园", "school", "cm-qs-3"),
    ("北苑购物中心", "market", "cm-qs-3"),
    ("桃源路", "road", "cm-ty-1"),
    ("桃源里小区", "residential", "cm-ty-1"),
    ("桃源小学", "school", "cm-ty-1"),
    ("桃源农贸市场", "market", "cm-ty-1"),
    ("杏林路", "road", "cm-ty-2"),
    ("杏林湾小区", "residential", "cm-ty-2"),
    ("云溪区妇幼保健院", "hospital", "cm-ty-2"),
    ("南岗路", "road", "cm-ty-3"),
    ("南岗嘉苑", "residential", "cm-ty-3"),
    ("南岗湿地公园", "park", "cm-ty-3"),
    ("云溪区职业高级中学", "school", "cm-ty-3"),
    ("河湾路", "road", "cm-ty-4"),
    ("河湾新村", "residential", "cm-ty-4"),
    ("云溪河滨公园", "park", "cm-ty-4"),
    ("河湾建材市场", "market", "cm-ty-4"),
    ("金桥大街", "road", "cm-jq-1"),
    ("金桥国际公寓", "residential", "cm-jq-1"),
    ("金桥广场", "market", "cm-jq-1"),
    ("云溪外国语学校", "school", "cm-jq-1"),
    ("云溪区体育中心", "landmark", "cm-jq-1"),
    ("科创大道", "road", "cm-jq-2"),
    ("云溪科技园", "landmark", "cm-jq-2"),
    ("科创园人才公寓", "residential", "cm-jq-2"),
    ("金桥医院", "hospital", "cm-jq-2"),
    ("云溪客运站", "landmark", "cm-jq-2"),
]
PLACE_MARGIN = 60.0   # metres: a place is at least this far from any grid boundary


class GenError(Exception):
    pass


# ----------------------------------------------------------------------------- lattice

def vid(i, j):
    return i * (NY + 1) + j


def build_lattice(rng):
    x0, y0 = -NX * CELL / 2.0, -NY * CELL / 2.0
    verts = [None] * ((NX + 1) * (NY + 1))
    for i in range(NX + 1):
        for j in range(NY + 1):
            jx = rng.uniform(-JITTER, JITTER) * CELL
            jy = rng.uniform(-JITTER, JITTER) * CELL
            verts[vid(i, j)] = (x0 + i * CELL + jx, y0 + j * CELL + jy)
    return verts


def cell_corners(c):
    i, j = c
    # counter-clockwise: SW, SE, NE, NW
    return (vid(i, j), vid(i + 1, j), vid(i + 1, j + 1), vid(i, j + 1))


def cell_centre(verts, c):
    xs = [verts[v] for v in cell_corners(c)]
    return (sum(p[0] for p in xs) / 4.0, sum(p[1] for p in xs) / 4.0)


def neighbours4(c):
    i, j = c
    return ((i, j - 1), (i + 1, j), (i, j + 1), (i - 1, j))


def in_lattice(c):
    return 0 <= c[0] < NX and 0 <= c[1] < NY


def components(cells):
    cells = set(cells)
    seen, comps = set(), []
    for c in sorted(cells):
        if c in seen:
            continue
        comp, dq = [], deque([c])
        seen.add(c)
        while dq:
            a = dq.popleft()
            comp.append(a)
            for b in neighbours4(a):
                if b in cells and b not in seen:
                    seen.add(b)
                    dq.append(b)
        comps.append(comp)
    comps.sort(key=len, reverse=True)
    return comps


def district_mask(verts, rng):
    ph = [rng.uniform(0, 2 * math.pi) for _ in range(5)]
    amps = (0.10, 0.08, 0.05, 0.035, 0.02)
    freqs = (2, 3, 5, 7, 11)

    def radius(theta):
        return 1.0 + sum(a * math.sin(f * theta + p) for a, f, p in zip(amps, freqs, ph))

    inside = set()
    for i in range(NX):
        for j in range(NY):
            x, y = cell_centre(verts, (i, j))
            u, v = x / SEMI_X, y / SEMI_Y
            if math.hypot(u, v) < radius(math.atan2(v, u)):
                inside.add((i, j))
    inside = set(components(inside)[0])
    # fill holes: everything not reachable from the lattice border through outside cells
    outside, dq = set(), deque()
    for i in range(NX):
        for j in range(NY):
            if (i in (0, NX - 1) or j in (0, NY - 1)) and (i, j) not in inside:
                outside.add((i, j))
                dq.append((i, j))
    while dq:
        a = dq.popleft()
        for b in neighbours4(a):
            if in_lattice(b) and b not in inside and b not in outside:
                outside.add(b)
                dq.append(b)
    return {(i, j) for i in range(NX) for j in range(NY) if (i, j) not in outside}


# ----------------------------------------------------------------------------- partition

def make_warp(rng, amp, wl):
    p = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    l = [wl * rng.uniform(0.7, 1.3) for _ in range(4)]

    def warp(pt):
        x, y = pt
        dx = amp * (math.sin(y / l[0] + p[0]) + 0.5 * math.sin((x + y) / l[1] + p[1]))
        dy = amp * (math.sin(x / l[2] + p[2]) + 0.5 * math.sin((x - y) / l[3] + p[3]))
        return (x + dx, y + dy)

    return warp


def enforce_connectivity(assign, cells):
    """Reassign stray pieces so every label is one 4-connected region.  Mutates assign."""
    cellset = set(cells)
    for _ in range(50):
        bylabel = defaultdict(list)
        for c in cells:
            bylabel[assign[c]].append(c)
        stray = []
        for lab, cs in bylabel.items():
            comps = components(cs)
            for comp in comps[1:]:
                stray.extend(comp)
        if not stray:
            return
        for c in stray:
            assign[c] = None
        pending = set(stray)
        while pending:
            progress = False
            for c in sorted(pending):
                votes = defaultdict(int)
                for b in neighbours4(c):
                    if b in cellset and assign.get(b) is not None:
                        votes[assign[b]] += 1
                if votes:
                    assign[c] = max(sorted(votes), key=lambda k: votes[k])
                    pending.discard(c)
                    progress = True
            if not progress:
                raise GenError("cannot reassign stray cells")
    raise GenError("connectivity did not converge")


def partition(cells, labels, centres, rng, amp, wl, seeds=None, lloyd=8, min_frac=0.45):
    """Split cells into len(labels) connected regions.  Returns dict cell -> label."""
    cells = sorted(cells)
    k = len(labels)
    warp = make_warp(rng, amp, wl)
    wp = {c: warp(centres[c]) for c in cells}
    if seeds is None:
        seeds = [wp[rng.choice(cells)]]
        while len(seeds) < k:
            far = max(cells, key=lambda c: min((wp[c][0] - s[0]) ** 2 + (wp[c][1] - s[1]) ** 2 for s in seeds))
            seeds.append(wp[far])
    seeds = list(seeds)
    assign = {}
    for it in range(lloyd + 1):
        groups = defaultdict(list)
        for c in cells:
            x, y = wp[c]
            best = min(range(k), key=lambda s: (x - seeds[s][0]) ** 2 + (y - seeds[s][1]) ** 2)
            assign[c] = best
            groups[best].append(c)
        if it < lloyd:
            for s in range(k):
                if groups[s]:
                    seeds[s] = (sum(wp[c][0] for c in groups[s]) / len(groups[s]),
                                sum(wp[c][1] for c in groups[s]) / len(groups[s]))
    if len(set(assign.values())) != k:
        raise GenError("empty child")
    enforce_connectivity(assign, cells)
    sizes = defaultdict(int)
    for c in cells:
        sizes[assign[c]] += 1
    if len(sizes) != k or min(sizes.values()) < min_frac * len(cells) / k:
        raise GenError("unbalanced partition")
    return {c: labels[assign[c]] for c in cells}


def order_children_by_position(assign, centres, k):
    """Map child index -> rank so child 1 is the north-westernmost (by centroid)."""
    acc = defaultdict(lambda: [0.0, 0.0, 0])
    for c, lab in assign.items():
        x, y = centres[c]
        a = acc[lab]
        a[0] += x
        a[1] += y
        a[2] += 1
    cent = {lab: (a[0] / a[2], a[1] / a[2]) for lab, a in acc.items()}
    order = sorted(range(k), key=lambda lab: (-cent[lab][1] + 0.5 * cent[lab][0]))
    return {lab: r for r, lab in enumerate(order)}


# ----------------------------------------------------------------------------- topology

def vertex_cells(i, j):
    # counter-clockwise around lattice vertex (i, j): SW, SE, NE, NW
    return ((i - 1, j - 1), (i, j - 1), (i, j), (i - 1, j))


def fix_pinches(grid_of, chains):
    """Remove vertices where a region (at any level) touches itself only diagonally.

    grid_of: cell -> grid code or None.  chains: grid code -> tuple of codes per level.
    Mutates grid_of; returns the number of changes."""
    changes = 0
    for _ in range(100):
        changed = False
        for i in range(1, NX):
            for j in range(1, NY):
                cs = vertex_cells(i, j)
                g = [grid_of.get(c) for c in cs]
                for lev in range(len(LEVELS)):
                    lab = [chains[x][lev] if x is not None else None for x in g]
                    for a, b, c, d in ((0, 1, 2, 3), (1, 2, 3, 0)):
                        if lab[a] == lab[c] and lab[b] != lab[a] and lab[d] != lab[a]:
                            if lab[a] is None:   # district pinched from outside: fill one gap
                                grid_of[cs[a]] = g[b]
                            else:
                                grid_of[cs[b]] = g[a]
                            changed = True
                            changes += 1
                            break
                    if changed:
                        break
                if changed:
                    break
            if changed:
                break
        if not changed:
            return changes
    raise GenError("pinch removal did not converge")


def build_arcs(grid_of):
    """Trace shared boundary arcs between grid-level regions (None = outside)."""
    left = {}   # directed edge (u, w) -> label of the cell on its left
    for i in range(NX):
        for j in range(NY):
            c = (i, j)
            lab = grid_of.get(c)
            vs = cell_corners(c)
            for k in range(4):
                left[(vs[k], vs[(k + 1) % 4])] = lab
    nbrs = defaultdict(list)
    for (u, w), lab in left.items():
        if u < w and left.get((w, u), None) != lab:
            if (w, u) not in left:
                raise GenError("district touches lattice border")
            nbrs[u].append(w)
            nbrs[w].append(u)
    nodes = {v for v, ns in nbrs.items() if len(ns) != 2}
    used = set()
    arcs = []

    def walk(start, nxt):
        path = [start, nxt]
        used.add((start, nxt))
        used.add((nxt, start))
        prev, cur = start, nxt
        while cur not in nodes and cur != start:
            a, b = nbrs[cur]
            n2 = b if a == prev else a
            used.add((cur, n2))
            used.add((n2, cur))
            path.append(n2)
            prev, cur = cur, n2
        return path

    for n in sorted(nodes):
        for w in sorted(nbrs[n]):
            if (n, w) not in used:
                arcs.append(walk(n, w))
    for v in sorted(nbrs):            # node-less closed loops (should not occur)
        for w in sorted(nbrs[v]):
            if (v, w) not in used:
                nodes.add(v)
                arcs.append(walk(v, w))
    out = []
    for path in arcs:
        out.append({"v": path, "left": left[(path[0], path[1])], "right": left[(path[1], path[0])]})
    return out, nodes


def dp_simplify(pts, tol):
    """Douglas-Peucker on a list of points; endpoints kept.  Returns indices kept."""
    n = len(pts)
    if n <= 2:
        return list(range(n))
    if pts[0] == pts[-1]:   # closed arc: split at the farthest vertex
        far = max(range(n), key=lambda k: (pts[k][0] - pts[0][0]) ** 2 + (pts[k][1] - pts[0][1]) ** 2)
        a = dp_simplify(pts[:far + 1], tol)
        b = dp_simplify(pts[far:], tol)
        return a + [far + k for k in b[1:]]
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        s, e = stack.pop()
        (x1, y1), (x2, y2) = pts[s], pts[e]
        dx, dy = x2 - x1, y2 - y1
        L = math.hypot(dx, dy)
        best, bi = -1.0, None
        for k in range(s + 1, e):
            x, y = pts[k]
            d = abs(dy * (x - x1) - dx * (y - y1)) / L if L > 0 else math.hypot(x - x1, y - y1)
            if d > best:
                best, bi = d, k
        if bi is not None and best > tol:
            keep[bi] = True
            stack.append((s, bi))
            stack.append((bi, e))
    return [k for k in range(n) if keep[k]]


def densify(ids, allv, amp, rng):
    """Insert displaced midpoints into long segments of an arc (new vertices appended to allv)."""
    if amp <= 0:
        return ids

    def split(a, b, depth):
        (x1, y1), (x2, y2) = allv[a], allv[b]
        L = math.hypot(x2 - x1, y2 - y1)
        if L < WIGGLE_MIN_SEG or depth > 3:
            return [a]
        d = rng.uniform(-1.0, 1.0) * amp * L
        t = rng.uniform(0.4, 0.6)
        m = (x1 + t * (x2 - x1) - d * (y2 - y1) / L, y1 + t * (y2 - y1) + d * (x2 - x1) / L)
        allv.append(m)
        mid = len(allv) - 1
        return split(a, mid, depth + 1) + split(mid, b, depth + 1)

    out = []
    for k in range(len(ids) - 1):
        out.extend(split(ids[k], ids[k + 1], 0))
    out.append(ids[-1])
    return out


def orient(a, b, c):
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def on_segment(p, a, b):
    return (min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])
            and orient(a, b, p) == 0)


def segments_conflict(a, b, c, d):
    """True if segments ab and cd share any point other than one common endpoint."""
    shared = {a, b} & {c, d}
    if len(shared) == 2:
        return True
    if len(shared) == 1:
        s = shared.pop()
        p = b if a == s else a
        q = d if c == s else c
        return on_segment(q, a, b) or on_segment(p, c, d)
    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if ((o1 > 0 and o2 < 0) or (o1 < 0 and o2 > 0)) and ((o3 > 0 and o4 < 0) or (o3 < 0 and o4 > 0)):
        return True
    return on_segment(c, a, b) or on_segment(d, a, b) or on_segment(a, c, d) or on_segment(b, c, d)


def find_conflicts(polylines):
    """polylines: list of point lists.  Returns set of polyline indices involved in conflicts."""
    segs = []
    for ai, pl in enumerate(polylines):
        for k in range(len(pl) - 1):
            segs.append((ai, k, pl[k], pl[k + 1]))
    xs = [p[0] for s in segs for p in s[2:]]
    ys = [p[1] for s in segs for p in s[2:]]
    if not segs:
        return set()
    minx, miny = min(xs), min(ys)
    span = max(max(xs) - minx, max(ys) - miny) or 1.0
    bucket = span / 60.0
    grid = defaultdict(list)
    for si, (ai, k, p, q) in enumerate(segs):
        for gx in range(int((min(p[0], q[0]) - minx) / bucket), int((max(p[0], q[0]) - minx) / bucket) + 1):
            for gy in range(int((min(p[1], q[1]) - miny) / bucket), int((max(p[1], q[1]) - miny) / bucket) + 1):
                grid[(gx, gy)].append(si)
    bad = set()
    checked = set()
    for cellsegs in grid.values():
        for x in range(len(cellsegs)):
            for y in range(x + 1, len(cellsegs)):
                s1, s2 = cellsegs[x], cellsegs[y]
                if (s1, s2) in checked:
                    continue
                checked.add((s1, s2))
                a1, k1, p1, q1 = segs[s1]
                a2, k2, p2, q2 = segs[s2]
                if a1 == a2 and abs(k1 - k2) == 1:
                    # consecutive segments of one polyline: only the shared vertex may touch
                    if segments_conflict(p1, q1, p2, q2):
                        bad.update((a1, a2))
                    continue
                if segments_conflict(p1, q1, p2, q2):
                    bad.update((a1, a2))
    return bad


def ring_area(ring):
    s = 0.0
    for k in range(len(ring) - 1):
        s += ring[k][0] * ring[k + 1][1] - ring[k + 1][0] * ring[k][1]
    return s / 2.0


def point_in_ring(pt, ring):
    x, y = pt
    inside = False
    for k in range(len(ring) - 1):
        x1, y1 = ring[k]
        x2, y2 = ring[k + 1]
        if (y1 > y) != (y2 > y):
            xi = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if xi > x:
                inside = not inside
    return inside


def assemble_ring(region, level, arcs, arcpts, chains):
    """Chain the arcs bounding `region` (at `level`) into one CCW ring of vertex ids."""
    def lab(g):
        return chains[g][level] if g is not None else None

    out = {}
    for ai, arc in enumerate(arcs):
        l, r = lab(arc["left"]), lab(arc["right"])
        if l == r:
            continue
        if l == region:
            seq = arcpts[ai]
        elif r == region:
            seq = arcpts[ai][::-1]
        else:
            continue
        if seq[0] in out:
            raise GenError(f"{region}: pinch at vertex {seq[0]}")
        out[seq[0]] = seq
    if not out:
        raise GenError(f"{region}: no boundary")
    start = min(out)
    ring, cur, n = [start], start, 0
    while True:
        seq = out[cur]
        ring.extend(seq[1:])
        cur = seq[-1]
        n += 1
        if cur == start:
            break
        if cur not in out:
            raise GenError(f"{region}: open ring")
    if n != len(out):
        raise GenError(f"{region}: {len(out) - n} arcs in extra rings (hole or multipart)")
    return ring


# ----------------------------------------------------------------------------- main generation

def load_units():
    with open(UNITS_PATH, encoding="utf-8") as f:
        units = json.load(f)
    by = {u["code"]: u for u in units}
    kids = defaultdict(list)
    for u in units:
        if u["parent"]:
            kids[u["parent"]].append(u["code"])
    district = [u["code"] for u in units if u["kind"] == "district"]
    if len(district) != 1:
        raise SystemExit("units.json must have exactly one district")
    return units, by, kids, district[0]


def generate(attempt, by, kids, dcode):
    rng = random.Random(SEED * 1000 + attempt)
    verts = build_lattice(random.Random(SEED))
    mask = district_mask(verts, random.Random(SEED + 1))
    centres = {c: cell_centre(verts, c) for c in mask}
    streets = sorted(c for c in kids[dcode] if by[c]["kind"] == "street")
    seeds = []
    for s in streets:
        fx, fy = STREET_SEEDS.get(s) or (rng.uniform(-.6, .6), rng.uniform(-.6, .6))
        seeds.append((fx * SEMI_X, fy * SEMI_Y))
    st_of = partition(mask, list(range(len(streets))), centres, rng, 350.0, 900.0, seeds=seeds, lloyd=2,
                      min_frac=0.5)
    st_of = {c: streets[v] for c, v in st_of.items()}
    grid_of, chains = {}, {}
    for s in streets:
        comms = sorted(c for c in kids[s] if by[c]["kind"] == "community")
        scells = [c for c, v in st_of.items() if v == s]
        cm = partition(scells, list(range(len(comms))), centres, rng, 220.0, 600.0, min_frac=0.5)
        rank = order_children_by_position(cm, centres, len(comms))
        for ci in range(len(comms)):
            ccode = comms[rank[ci]]
            ccells = [c for c, v in cm.items() if v == ci]
            grids = sorted(g for g in kids[ccode] if by[g]["kind"] == "grid")
            if not grids:
                raise SystemExit(f"community {ccode} has no grids")
            gd = partition(ccells, list(range(len(grids))), centres, rng, 120.0, 350.0, min_frac=0.45)
            grank = order_children_by_position(gd, centres, len(grids))
            for c, gi in gd.items():
                grid_of[c] = grids[grank[gi]]
            for g in grids:
                chains[g] = (dcode, s, ccode, g)
    npinch = fix_pinches(grid_of, chains)
    # every region at every level must still be one connected piece
    for lev in range(len(LEVELS)):
        groups = defaultdict(list)
        for c, g in grid_of.items():
            if g is not None:
                groups[chains[g][lev]].append(c)
        for r, cs in groups.items():
            if len(components(cs)) != 1:
                raise GenError(f"{r} disconnected after pinch fix")
    if len(set(g for g in grid_of.values() if g is not None)) != len(chains):
        raise GenError("a grid vanished")
    arcs, nodes = build_arcs(grid_of)
    raw = [[verts[v] for v in a["v"]] for a in arcs]
    if find_conflicts(raw):
        raise GenError("raw lattice arcs conflict")
    # simplify each shared arc once, then add a little natural wiggle (midpoint displacement) to its
    # long segments; back off (less wiggle, then less simplification) where it would break topology
    tol = [SIMPLIFY_TOL] * len(arcs)
    amp = [WIGGLE] * len(arcs)
    for _ in range(16):
        allv = list(verts)
        arcpts = []
        for k in range(len(arcs)):
            ids = [arcs[k]["v"][i] for i in dp_simplify(raw[k], tol[k])]
            arcpts.append(densify(ids, allv, amp[k], random.Random(SEED * 7 + attempt * 100003 + k)))
        bad = find_conflicts([[allv[v] for v in pts] for pts in arcpts])
        # also forbid regions whose area changes too much
        for g in sorted(chains):
            ring = assemble_ring(g, 3, arcs, arcpts, chains)
            ring0 = assemble_ring(g, 3, arcs, [a["v"] for a in arcs], chains)
            a1 = ring_area([allv[v] for v in ring])
            a0 = ring_area([verts[v] for v in ring0])
            if not (0.85 * a0 < a1 < 1.15 * a0):
                bad.update(k for k, a in enumerate(arcs) if g in (a["left"], a["right"]))
        if not bad:
            break
        for k in bad:
            if amp[k] > 0.02:
                amp[k] /= 2.0
            else:
                amp[k] = 0.0
                tol[k] = tol[k] / 2.0 if tol[k] > 5.0 else 0.0
    else:
        raise GenError("simplification did not converge")
    nback = sum(1 for k in range(len(arcs)) if tol[k] < SIMPLIFY_TOL or amp[k] < WIGGLE)
    return allv, arcs, arcpts, chains, grid_of, npinch, nback


def to_lonlat(p):
    return (round(LON0 + p[0] / M_PER_DEG_LON, NDIGITS), round(LAT0 + p[1] / M_PER_DEG_LAT, NDIGITS))


def main():
    units, by, kids, dcode = load_units()
    for attempt in range(200):
        try:
            verts, arcs, arcpts, chains, grid_of, npinch, nback = generate(attempt, by, kids, dcode)
            break
        except GenError as e:
            print(f"attempt {attempt}: {e}; retrying")
    else:
        raise SystemExit("no valid layout found")
    print(f"layout attempt {attempt}: {len(arcs)} shared arcs, {npinch} pinch fixes, "
          f"{nback} arcs with reduced simplification")

    # rounded lon/lat per used vertex, once; distinct vertices must stay distinct
    used = sorted({v for pts in arcpts for v in pts})
    ll = {v: to_lonlat(verts[v]) for v in used}
    if len(set(ll.values())) != len(ll):
        raise SystemExit("rounding merged distinct vertices")
    bad = find_conflicts([[ll[v] for v in pts] for pts in arcpts])
    if bad:
        raise SystemExit(f"rounded arcs conflict: {sorted(bad)}")

    levels = {"district": 0, "street": 1, "community": 2, "grid": 3}
    regions = {lev: sorted({chains[g][i] for g in chains}) for lev, i in levels.items()}
    rings = {}
    features = []
    for lev in LEVELS:
        for code in regions[lev]:
            ids = assemble_ring(code, levels[lev], arcs, arcpts, chains)
            ring = [ll[v] for v in ids]
            if ring[0] != ring[-1] or len(ring) < 4:
                raise SystemExit(f"{code}: bad ring")
            if len(set(ring[:-1])) != len(ring) - 1:
                raise SystemExit(f"{code}: ring touches itself")
            if ring_area(ring) <= 0:
                raise SystemExit(f"{code}: ring not counter-clockwise")
            rings[code] = ring
            features.append({
                "type": "Feature",
                "properties": {"unit": code, "name": by[code]["short"], "level": lev},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y] for x, y in ring]]},
            })

    # ---- checks
    ok = True
    expected = sorted(u["code"] for u in units if u["kind"] in levels)
    got = sorted(f["properties"]["unit"] for f in features)
    if expected != got:
        print("FAIL features vs units.json:", set(expected) ^ set(got))
        ok = False
    else:
        print(f"OK one feature per unit: {len(got)} features "
              + ", ".join(f"{lev} {len(regions[lev])}" for lev in LEVELS))
    worst = 0.0
    kx = M_PER_DEG_LON * M_PER_DEG_LAT / 1e6
    for u in units:
        if u["kind"] not in ("district", "street", "community"):
            continue
        ch = [c for c in kids[u["code"]] if by[c]["kind"] in levels]
        if not ch:
            continue
        pa = ring_area(rings[u["code"]])
        sa = sum(ring_area(rings[c]) for c in ch)
        worst = max(worst, abs(sa - pa) / pa)
    print(f"{'OK' if worst <= 1e-9 else 'FAIL'} child areas sum to parent: worst relative error {worst:.2e}")
    ok &= worst <= 1e-9
    print(f"   district area {ring_area(rings[dcode]) * kx:.2f} km2; streets: "
          + ", ".join(f"{by[s]['short']} {ring_area(rings[s]) * kx:.2f}" for s in regions['street']))
    gareas = [ring_area(rings[g]) * kx for g in regions["grid"]]
    print(f"   grid areas {min(gareas):.2f}..{max(gareas):.2f} km2")
    nvert = sum(len(f["geometry"]["coordinates"][0]) - 1 for f in features)
    print(f"   {nvert} ring vertices in total")

    def bbox(r):
        return (min(p[0] for p in r), min(p[1] for p in r), max(p[0] for p in r), max(p[1] for p in r))

    bbs = {c: bbox(r) for c, r in rings.items()}

    def containing(pt, lev):
        out = []
        for c in regions[lev]:
            b = bbs[c]
            if b[0] <= pt[0] <= b[2] and b[1] <= pt[1] <= b[3] and point_in_ring(pt, rings[c]):
                out.append(c)
        return out

    srng = random.Random(SEED + 7)
    db = bbs[dcode]
    n, fails = 0, 0
    while n < 10000:
        pt = (srng.uniform(db[0], db[2]), srng.uniform(db[1], db[3]))
        if not point_in_ring(pt, rings[dcode]):
            continue
        n += 1
        g, c, s = containing(pt, "grid"), containing(pt, "community"), containing(pt, "street")
        if len(g) != 1 or len(c) != 1 or len(s) != 1 or chains[g[0]][2] != c[0] or chains[g[0]][1] != s[0]:
            fails += 1
    print(f"{'OK' if fails == 0 else 'FAIL'} 10000 random points in the district: {fails} not in exactly one "
          f"grid/community/street")
    ok &= fails == 0
    if not ok:
        raise SystemExit("validation failed")

    with open(OUT_PATH, "w", encoding="utf-8") as f:
        f.write('{"type": "FeatureCollection", "features": [\n')
        f.write(",\n".join(json.dumps(ft, ensure_ascii=False, separators=(",", ":")) for ft in features))
        f.write("\n]}\n")
    print(f"wrote {OUT_PATH}")

    # ---- places: a point inside the community, clear of grid boundaries, located by point-in-polygon
    grid_rings_m = {g: [(p[0] * M_PER_DEG_LON, p[1] * M_PER_DEG_LAT) for p in rings[g]] for g in regions["grid"]}

    def dist_to_ring(pt, ring):
        best = float("inf")
        for k in range(len(ring) - 1):
            (x1, y1), (x2, y2) = ring[k], ring[k + 1]
            dx, dy = x2 - x1, y2 - y1
            t = max(0.0, min(1.0, ((pt[0] - x1) * dx + (pt[1] - y1) * dy) / (dx * dx + dy * dy)))
            best = min(best, math.hypot(pt[0] - x1 - t * dx, pt[1] - y1 - t * dy))
        return best

    places, names = [], set()
    taken = []
    for name, kind, cm in PLACES:
        if name in names:
            raise SystemExit(f"duplicate place {name}")
        names.add(name)
        if cm not in rings:
            raise SystemExit(f"place {name}: unknown community {cm}")
        prng = random.Random(zlib.crc32(name.encode("utf-8")))
        b = bbs[cm]
        for _ in range(100000):
            pt = (round(prng.uniform(b[0], b[2]), NDIGITS), round(prng.uniform(b[1], b[3]), NDIGITS))
            if not point_in_ring(pt, rings[cm]):
                continue
            gs = containing(pt, "grid")
            if len(gs) != 1:
                continue
            pm = (pt[0] * M_PER_DEG_LON, pt[1] * M_PER_DEG_LAT)
            if dist_to_ring(pm, grid_rings_m[gs[0]]) < PLACE_MARGIN:
                continue
            if any(math.hypot(pm[0] - q[0], pm[1] - q[1]) < 150.0 for q in taken):
                continue
            break
        else:
            raise SystemExit(f"place {name}: no point found")
        if chains[gs[0]][2] != cm:
            raise SystemExit(f"place {name}: grid {gs[0]} not in {cm}")
        taken.append(pm)
        places.append({"name": name, "kind": kind, "lon": pt[0], "lat": pt[1], "unit": gs[0]})
    with open(PLACES_PATH, "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join("  " + json.dumps(p, ensure_ascii=False) for p in places) + "\n]\n")
    streets_hit = {chains[p["unit"]][1] for p in places}
    print(f"OK wrote {len(places)} places over {len(streets_hit)} streets and "
          f"{len({chains[p['unit']][2] for p in places})} communities -> {PLACES_PATH}")


if __name__ == "__main__":
    main()
