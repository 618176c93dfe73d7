#!/usr/bin/env python3
"""Generates data/demo/enterprises.json: a synthetic register of 云溪区's market entities.

Deterministic (a fixed seed): run it again and the file is the same. Nothing is real: the
names, codes, people and phone numbers are made up; the distributions are plausible ones
for an urban district of China:

- entity types: about half 个体工商户, a third 有限责任公司 of natural persons, the rest
  sole proprietorships, partnerships, branches and a few joint-stock companies;
- industries (GB/T 4754-2017 codes): retail, catering and residents' services dominate,
  then wholesale, software and IT, business services, construction, some manufacturing;
- employees and registered capital: log-normal, small for 个体工商户;
- founding dates: 1998 to 2026, most in the last ten years;
- locations: uniformly inside each street's polygon of boundaries.geojson, streets
  weighted by size of their business districts;
- tags: 小微企业 for small firms by the national thresholds, 食品经营 for catering and food
  retail, 高新技术企业 for some tech firms, 重点排污单位 and 特种设备使用单位 for some
  manufacturers, 危险化学品经营 for some wholesalers;
- a credit record (the facts of the past two years): passed and failed inspections,
  rectifications, 行政处罚, the 经营异常名录 (mostly 个体工商户 that missed their annual
  report) and commendations, in proportions that give roughly A 20 %, B 65 %, C 10 %,
  D 5 % under yiwang's default class rules.

Each entry is the import format of `yiwang register import` (README, "Enterprise register").
The legal representative (name, mobile) is personal data: yiwang keeps it apart from
the record.

Usage: python3 data/demo/gen_enterprises.py [count]   (default 2000)
"""

import datetime
import json
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TODAY = datetime.date(2026, 11, 30)

rng = random.Random(20261205)


def credit_code(registrar_kind, area, org):
    body = registrar_kind + area + org
    assert len(body) == 17, body
    total, weight = 0, 1
    for ch in body:
        total += ALPHABET.index(ch) * weight
        weight = weight * 3 % 31
    return body + ALPHABET[(31 - total % 31) % 31]


def org_code():
    return "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))


# (weight, entity type, registrar prefix)
TYPES = [
    (50, "个体工商户", "92"),
    (28, "有限责任公司（自然人投资或控股）", "91"),
    (8, "有限责任公司（自然人独资）", "91"),
    (4, "个人独资企业", "91"),
    (2, "合伙企业", "91"),
    (3, "有限责任公司分公司", "91"),
    (2, "有限责任公司（国有控股）", "91"),
    (1, "股份有限公司", "91"),
]

# (weight, GB/T 4754 code, what it is, name suffix, suits 个体工商户)
INDUSTRIES = [
    (14, "F5292", "零售", ["便利店", "超市", "商行"], True),
    (7, "F5221", "食品零售", ["食品店", "生鲜店", "粮油店"], True),
    (4, "F5235", "服装零售", ["服装店", "服饰店"], True),
    (12, "H6210", "正餐服务", ["饭店", "餐厅", "酒楼", "小厨"], True),
    (9, "H6220", "快餐服务", ["快餐店", "面馆", "小吃店"], True),
    (3, "H6241", "茶馆服务", ["茶馆", "茶社"], True),
    (2, "H6110", "旅游饭店", ["宾馆", "酒店"], False),
    (8, "O8010", "家庭服务", ["家政服务部", "保洁服务部"], True),
    (6, "O8060", "理发及美容服务", ["理发店", "美容美发店"], True),
    (3, "O8111", "汽车修理与维护", ["汽车维修部", "汽修厂"], True),
    (5, "F5139", "批发", ["贸易有限公司", "商贸有限公司"], False),
    (1, "F5166", "化工产品批发", ["化工有限公司"], False),
    (5, "I6510", "软件开发", ["科技有限公司", "软件有限公司"], False),
    (2, "I6450", "互联网数据服务", ["网络科技有限公司", "数据科技有限公司"], False),
    (4, "L7212", "企业管理咨询", ["企业管理咨询有限公司", "咨询服务有限公司"], False),
    (2, "L7251", "广告业", ["广告有限公司", "文化传媒有限公司"], False),
    (3, "E4710", "房屋建筑", ["建筑工程有限公司", "建设有限公司"], False),
    (2, "E5011", "建筑装饰", ["装饰工程有限公司", "装饰设计工程有限公司"], False),
    (2, "K7020", "物业管理", ["物业管理有限公司", "物业服务有限公司"], False),
    (1, "C1431", "糕点制造", ["食品有限公司"], False),
    (1, "C2927", "日用塑料制品制造", ["塑料制品有限公司"], False),
    (1, "C3311", "金属结构制造", ["钢结构有限公司"], False),
    (1, "C3981", "电子元件制造", ["电子科技有限公司"], False),
    (2, "G5430", "道路货物运输", ["物流有限公司", "货运有限公司"], False),
    (1, "P8393", "培训机构", ["培训学校", "教育科技有限公司"], False),
    (1, "Q8421", "门诊部", ["门诊部", "诊所"], True),
    (1, "R9051", "健身休闲", ["健身中心", "体育文化有限公司"], False),
]

BRANDS = list(
    "瑞丰 恒泰 鑫源 华鼎 盛世 佳禾 博远 金穗 聚福 兴隆 德顺 嘉和 宏达 永安 福满 一品 和润 誉成 "
    "天合 明德 锦程 新宇 致远 立信 广达 同兴 创新 启航 云帆 汇通 安康 益民 百味 鲜又 味之源 "
    "好运来 老街坊 湖畔 澜江 云溪 青石 望湖 桃源 金桥 翠苑 科创 江滨 府前 溪畔 晨光 晓月 "
    "春华 秋实 嘉禾 宜家 乐享 优选 聚鑫 诚信 万家 千禧 星辰 海纳 悦来 和美 合众 北辰 东升 "
    "南风 西岭 长青 远航 卓越 精诚 匠心 禾丰 麦香 茗香 品鲜 味道 一帆 三和 四海 五福 六合".split()
)
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强晓东海燕红梅雪梅春花玉兰文博子豪浩然雨桐思远欣怡嘉怡宇航")

# Streets, weighted by how much business each has; roads of each (from places.json).
STREETS = {"st-yx": 30, "st-wh": 20, "st-qs": 18, "st-ty": 14, "st-jq": 18}


def load_geometry():
    with open(os.path.join(HERE, "boundaries.geojson"), encoding="utf-8") as f:
        g = json.load(f)
    polys = {}
    for feat in g["features"]:
        u = feat["properties"]["unit"]
        if u in STREETS:
            polys[u] = feat["geometry"]["coordinates"][0]
    with open(os.path.join(HERE, "places.json"), encoding="utf-8") as f:
        places = json.load(f)
    roads = {s: [] for s in STREETS}
    for p in places:
        if p["kind"] == "road":
            street = "st-" + p["unit"].split("-")[1]
            roads.setdefault(street, []).append(p["name"])
    return polys, roads


def inside(pt, poly):
    x, y = pt
    c = False
    j = len(poly) - 1
    for i in range(len(poly)):
        xi, yi = poly[i]
        xj, yj = poly[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            c = not c
        j = i
    return c


def point_in(poly):
    xs = [p[0] for p in poly]
    ys = [p[1] for p in poly]
    while True:
        pt = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if inside(pt, poly):
            return [round(pt[0], 6), round(pt[1], 6)]


def weighted(items):
    total = sum(i[0] for i in items)
    r = rng.uniform(0, total)
    for i in items:
        r -= i[0]
        if r <= 0:
            return i
    return items[-1]


def date_between(a, b):
    return a + datetime.timedelta(days=rng.randrange((b - a).days + 1))


def founding():
    # Most market entities of a district are young: an exponential age, capped.
    years = min(rng.expovariate(1 / 6.0), 28)
    return max(TODAY - datetime.timedelta(days=int(years * 365.25)), datetime.date(1998, 1, 5))


def person_name():
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))


def mobile():
    return rng.choice(["139", "138", "137", "136", "135", "158", "159", "186", "188", "177", "199"]) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def record(kind_small, industry, founded):
    """The facts of the last two years, in proportions that give the classes above."""
    facts = []
    start = max(founded, TODAY - datetime.timedelta(days=700))

    def on():
        return date_between(start, TODAY).isoformat()

    food = industry[0] in "H" or industry in ("F5221", "C1431")
    r = rng.random()
    if r < 0.035 and kind_small:
        facts.append({"kind": "abnormal_listed", "date": on(), "note": "未按规定期限公示年度报告"})
    elif r < 0.05:
        facts.append({"kind": "abnormal_listed", "date": on(), "note": "通过登记的住所或者经营场所无法联系"})
    r = rng.random()
    if r < 0.015:
        for _ in range(2):
            facts.append({"kind": "penalty", "date": on(), "note": "行政处罚决定书（云市监罚〔2026〕%d号）" % rng.randrange(10, 400), "special": food})
    elif r < 0.07:
        facts.append({"kind": "penalty", "date": on(), "note": "行政处罚决定书（云市监罚〔2025〕%d号）" % rng.randrange(10, 400), "special": food})
    r = rng.random()
    if r < 0.03:
        facts.append({"kind": "inspection_failed", "date": on(), "note": "双随机抽查发现问题，已责令整改"})
        facts.append({"kind": "rectified_late", "date": on(), "note": "整改逾期完成"})
    elif r < 0.10:
        facts.append({"kind": "inspection_failed", "date": on(), "note": "双随机抽查发现问题，已责令整改"})
    r = rng.random()
    if r < 0.24:
        facts.append({"kind": "inspection_passed", "date": on(), "note": "双随机抽查未发现问题"})
    elif r < 0.27:
        facts.append({"kind": "commendation", "date": on(), "note": "区级诚信经营示范单位"})
    facts.sort(key=lambda f: f["date"])
    return facts


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    polys, roads = load_geometry()
    seen_names, seen_codes = set(), set()
    out = []
    # The demo's 一网通办 restaurant, bound to the applicant 13800138000: in the register.
    out.append(
        {
            "code": "91350100M000100Y43",
            "name": "云溪区好味小厨餐饮店",
            "entity_type": "个体工商户",
            "industry": "H6210",
            "address": "澜江市云溪区府前街18号",
            "street": "st-yx",
            "location": point_in(polys["st-yx"]),
            "capital": 100000,
            "employees": 6,
            "founded": "2019-05-20",
            "tags": ["小微企业", "食品经营"],
            "legal_representative": {"name": "陈家乐", "phone": "13906001234"},
            "facts": [{"kind": "inspection_passed", "date": "2026-04-16", "note": "餐饮服务食品安全双随机抽查未发现问题"}],
        }
    )
    seen_names.add(out[0]["name"])
    seen_codes.add(out[0]["code"])
    while len(out) < count:
        _, entity_type, registrar = weighted(TYPES)
        individual = entity_type == "个体工商户"
        inds = [i for i in INDUSTRIES if (i[4] or not individual)]
        _, industry, _, suffixes, _ = weighted(inds)
        street = weighted([(w, s) for s, w in STREETS.items()])[1]
        brand = rng.choice(BRANDS)
        suffix = rng.choice(suffixes)
        if individual:
            if suffix.endswith("有限公司"):
                suffix = suffix.replace("有限公司", "部")
            name = "澜江市云溪区" + brand + suffix
        elif entity_type == "有限责任公司分公司":
            name = "澜江" + brand + suffix + "云溪分公司"
        elif entity_type in ("个人独资企业", "合伙企业"):
            base = suffix.replace("有限公司", "")
            name = "澜江市云溪区" + brand + base + ("（个人独资）" if entity_type == "个人独资企业" else "（有限合伙）")
        else:
            if not suffix.endswith("有限公司") and not suffix.endswith("学校"):
                suffix = suffix + "有限公司"
            name = "澜江" + brand + suffix
            if entity_type == "股份有限公司":
                name = name.replace("有限公司", "股份有限公司")
        if name in seen_names:
            continue
        code = credit_code(registrar, "350103", org_code())
        if code in seen_codes:
            continue
        seen_names.add(name)
        seen_codes.add(code)
        founded = founding()
        if individual:
            employees = max(1, int(rng.lognormvariate(1.0, 0.6)))
            capital = int(round(rng.lognormvariate(11.5, 0.9), -3))
        else:
            employees = max(1, int(rng.lognormvariate(2.4, 1.1)))
            capital = int(round(rng.lognormvariate(14.2, 1.3), -4))
        if industry[0] == "C":
            employees = max(employees, int(rng.lognormvariate(3.6, 0.8)))
        tags = []
        small = employees < 100 and capital < 50_000_000
        if small:
            tags.append("小微企业")
        if industry[0] == "H" or industry in ("F5221", "C1431"):
            tags.append("食品经营")
        if industry in ("I6510", "I6450", "C3981") and not individual and rng.random() < 0.25:
            tags.append("高新技术企业")
        if industry[0] == "C" and rng.random() < 0.3:
            tags.append("重点排污单位")
        if industry[0] == "C" or industry in ("H6110", "K7020"):
            if rng.random() < 0.5:
                tags.append("特种设备使用单位")
        if industry == "F5166":
            tags.append("危险化学品经营")
        road = rng.choice(roads.get(street) or ["云溪路"])
        entry = {
            "code": code,
            "name": name,
            "entity_type": entity_type,
            "industry": industry,
            "address": "澜江市云溪区%s%d号" % (road, rng.randrange(1, 300)),
            "street": street,
            "location": point_in(polys[street]),
            "capital": capital,
            "employees": employees,
            "founded": founded.isoformat(),
            "tags": tags,
            "legal_representative": {"name": person_name(), "phone": mobile()},
            "facts": record(individual or small, industry, founded),
        }
        out.append(entry)
    path = os.path.join(HERE, "enterprises.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(e, ensure_ascii=False, separators=(", ", ": ")) for e in out))
        f.write("\n]\n")
    print("wrote %d enterprises to %s" % (len(out), path))


if __name__ == "__main__":
    main()
