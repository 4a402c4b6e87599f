#!/usr/bin/env python3
"""Generate server/data/units/haiphong.csv from the official sources in server/data/units/sources/.

Output columns: code,name,level,parent,valid_from,valid_to,successors (the format of
`danvan-server units import`). What it writes:
  * province 31 Thành phố Hải Phòng (in force throughout) and legacy province 30 Tỉnh Hải Dương
    (to 2025-06-30, successor 31);
  * the 114 communes in force from 2025-07-01 (official codes and names), parent 31;
  * the 375 old communes in force to 2025-06-30 (official codes and names), with their
    successors and shares from Nghị quyết 1669/NQ-UBTVQH15;
  * their old districts, to 2025-06-30, with SYNTHETIC codes `<province>.<slug of the name>`
    (the sources name districts but give no codes);
  * SAMPLE villages (3 under each of 6 communes), SYNTHETIC codes `<commune>-T0n` and names
    ending in "(mẫu)": no public list of villages exists for these communes.
Run: python3 scripts/gen_haiphong_units.py  (deterministic; the output is committed)
"""
import csv
import os
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "server", "data", "units")
SRC = os.path.join(DATA, "sources")
NEW_FROM = "2025-07-01"
OLD_TO = "2025-06-30"
PROVINCES = {"Thành phố Hải Phòng": "31", "Tỉnh Hải Dương": "30"}
# Communes that get sample villages: a reused code (11533), two phường, two xã, one đặc khu.
SAMPLE_COMMUNES = ["11533", "11560", "10525", "11674", "11629", "11914"]


def slug(name):
    s = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    return "-".join(s.split())


def main():
    with open(os.path.join(SRC, "haiphong_communes_2025.csv"), encoding="utf-8") as f:
        communes = list(csv.DictReader(f))
    with open(os.path.join(SRC, "haiphong_units_formed_from_2025.csv"), encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    assert len(communes) == 114, len(communes)

    rows = [
        ["31", "Thành phố Hải Phòng", "province", "", "", "", ""],
        ["30", "Tỉnh Hải Dương", "province", "", "", OLD_TO, "31:toan_bo"],
    ]
    districts = {}  # (district, province) -> code
    old = {}  # old code -> [name, district code, [successor:share]]
    for p in pairs:
        key = (p["old_district"], p["old_province"])
        if key not in districts:
            districts[key] = PROVINCES[p["old_province"]] + "." + slug(p["old_district"])
        entry = old.setdefault(p["old_code"], [p["old_name"], districts[key], []])
        assert entry[1] == districts[key], p
        entry[2].append(p["new_code"] + ":" + p["share"])
    assert len(old) == 375, len(old)
    assert len(set(districts.values())) == len(districts)
    for (name, province), code in sorted(districts.items(), key=lambda kv: kv[1]):
        rows.append([code, name, "district", PROVINCES[province], "", OLD_TO, ""])
    for code in sorted(old):
        name, district, successors = old[code]
        rows.append([code, name, "commune", district, "", OLD_TO, ";".join(successors)])
    for c in sorted(communes, key=lambda c: c["code"]):
        rows.append([c["code"], c["name"], "commune", "31", NEW_FROM, "", ""])
    by_code = {c["code"]: c for c in communes}
    for code in SAMPLE_COMMUNES:
        c = by_code[code]
        if c["type"] == "phuong":
            names = [f"Tổ dân phố số {i} (mẫu)" for i in (1, 2, 3)]
        else:
            names = [f"Thôn {n} (mẫu)" for n in ("Đông", "Trung", "Đoài")]
        for i, name in enumerate(names, 1):
            rows.append([f"{code}-T0{i}", name, "village", code, NEW_FROM, "", ""])

    out = os.path.join(DATA, "haiphong.csv")
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["code", "name", "level", "parent", "valid_from", "valid_to", "successors"])
        w.writerows(rows)
    print(f"wrote {out}: {len(rows)} units ({len(districts)} districts, {len(old)} old and "
          f"{len(communes)} new communes, {3 * len(SAMPLE_COMMUNES)} sample villages)")


if __name__ == "__main__":
    main()
