"""Makes the demo library's small files (run once; the files are committed).

    python3 crates/senim-demo/demo/make_files.py   # needs pyarrow for the Parquet files

The numbers are invented but shaped like the real thing; the generator is
seeded, so running it again gives the same bytes for the CSV files.
"""

import csv
import datetime
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

out = os.path.join(os.path.dirname(__file__), "files")
rng = random.Random(2026)


def write_csv(name, header, rows):
    with open(os.path.join(out, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


roads = ["Al-Farabi Ave", "Abay Ave", "Raiymbek Ave", "Dostyk Ave", "Tole Bi St", "Sain St"]
rows = []
start = datetime.datetime(2023, 3, 6)
for h in range(48):
    t = start + datetime.timedelta(hours=h)
    for loop in range(6):
        base = 900 if 7 <= t.hour <= 9 or 17 <= t.hour <= 19 else 250
        rows.append([t.strftime("%Y-%m-%dT%H:00"), f"L{100 + loop}", roads[loop],
                     base + rng.randint(-80, 120), rng.random() < 0.02])
write_csv("traffic_counts_2023_sample.csv", ["hour", "loop_id", "road", "vehicles", "faulty"], rows)

rows = []
for seg in range(120):
    rows.append([f"P{seg:05d}", rng.choice(["steel", "cast iron", "polyethylene", "asbestos cement"]),
                 rng.choice([100, 150, 200, 300, 500]), rng.randint(1962, 2023), rng.randint(0, 4)])
write_csv("water_pipes.csv", ["segment_id", "material", "diameter_mm", "year_laid", "bursts_since_2010"], rows)

rows = []
for i in range(150):
    day = datetime.date(2023, 12, 1) + datetime.timedelta(days=i // 5)
    rows.append([f"PL{i % 5 + 1:02d}", day.isoformat(), rng.choice(roads),
                 round(rng.uniform(0.8, 6.5), 2), rng.randint(25, 240)])
write_csv("snow_clearing_runs.csv", ["plough", "date", "street", "km_cleared", "minutes"], rows)

rows = []
for i in range(180):
    day = datetime.date(2024, 1, 1) + datetime.timedelta(days=i // 3)
    ward = ["surgery", "cardiology", "intensive care"][i % 3]
    beds = {"surgery": 60, "cardiology": 45, "intensive care": 18}[ward]
    occupied = min(beds, int(beds * rng.uniform(0.62, 1.0)))
    rows.append([day.isoformat(), ward, beds, occupied, round(occupied / beds, 3)])
write_csv("bed_occupancy_2024q1.csv", ["date", "ward", "beds", "occupied", "occupancy_rate"], rows)

rows = []
for i in range(200):
    lactate = "" if rng.random() < 0.15 else round(rng.uniform(0.6, 7.5), 1)
    rows.append([i + 1, rng.choice(["18-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80+"]),
                 rng.randint(1, 5), lactate,
                 (datetime.date(2023, 1, 1) + datetime.timedelta(days=rng.randint(0, 364))).isoformat(),
                 rng.random() < 0.31])
write_csv("emergency_admissions_sample.csv",
          ["stay_id", "age_band", "triage_category", "lactate_mmol_l", "admitted_on", "admitted_to_ward"], rows)

rows = []
for i in range(100):
    rows.append([f"CXR-{i:05d}", rng.choice(["PA", "AP"]), rng.choice(["normal", "pneumonia", "effusion", "nodule"]),
                 rng.randint(2, 3)])
write_csv("chest_xray_labels.csv", ["image_id", "view", "consensus_label", "readers"], rows)

rows = []
topics = ["roads", "lighting", "waste", "heating", "parks", "transport"]
for i in range(120):
    rows.append([f"R-2024-{i + 1:05d}", (datetime.date(2024, 2, 1) + datetime.timedelta(days=i // 4)).isoformat(),
                 rng.choice(topics), rng.choice(["kk", "ru"]), rng.randint(1, 30)])
write_csv("citizen_requests_sample.csv", ["request_id", "received_on", "topic", "language", "days_to_answer"], rows)

with open(os.path.join(out, "guidelines_README.txt"), "w", encoding="utf-8") as f:
    f.write("Clinical guidelines corpus\n\nThe rightholder opted out of the use of these texts for training\n"
            "AI systems (Law 230-VIII Art. 23). They may be read and searched, not trained on.\n")

stations = ["Raiymbek Batyr", "Zhibek Zholy", "Almaly", "Abay", "Baikonur", "Auezov Theatre",
            "Alatau", "Sairan", "Moskva"]
days, names, entries, exits = [], [], [], []
for d in range(14):
    day = datetime.date(2024, 4, 1) + datetime.timedelta(days=d)
    for s in stations:
        days.append(day)
        names.append(s)
        entries.append(rng.randint(2500, 21000))
        exits.append(rng.randint(2500, 21000))
table = pa.table({"date": pa.array(days, pa.date32()), "station": names,
                  "entries": pa.array(entries, pa.int64()), "exits": pa.array(exits, pa.int64())})
pq.write_table(table, os.path.join(out, "metro_footfall_2024_04.parquet"), compression="snappy")

ids, hours, heart, temp, lact, sepsis = [], [], [], [], [], []
for stay in range(40):
    onset = rng.random() < 0.2
    for h in range(6):
        ids.append(stay + 1)
        hours.append(h)
        heart.append(round(rng.uniform(60, 125) + (15 if onset and h > 3 else 0), 1))
        temp.append(round(rng.uniform(36.2, 38.9), 1))
        lact.append(round(rng.uniform(0.7, 4.9), 2))
        sepsis.append(onset and h >= 4)
table = pa.table({"stay_id": pa.array(ids, pa.int32()), "hour": pa.array(hours, pa.int32()),
                  "heart_rate": heart, "temperature_c": temp, "lactate": lact, "sepsis_onset": sepsis})
pq.write_table(table, os.path.join(out, "sepsis_validation_sample.parquet"), compression="snappy")
print("files written to", out)
