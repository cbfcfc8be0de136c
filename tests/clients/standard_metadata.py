"""The library's standard metadata, read by the standard tools, against a
running Senim with demo data.

    python3 tests/clients/standard_metadata.py http://127.0.0.1:PORT

- Croissant 1.1 (`/dataset/{id}/croissant.jsonld`): every dataset passes
  `mlcroissant validate` (MLCommons' reference implementation, from PyPI);
  the record sets of the open tabular files load with `mlcroissant`, row for
  row, from the files Senim serves.
- DCAT-AP 3 (`/catalog.jsonld`, `/dataset/{id}.jsonld`): parsed as JSON-LD
  by rdflib; the catalogue's pages cover every dataset once; each dataset,
  distribution and agent has what DCAT-AP 3 makes mandatory, and each
  distribution's checksum and size match the file.
"""

import hashlib
import importlib.metadata
import json
import subprocess
import sys
import tempfile
import os
import urllib.request

import mlcroissant
import rdflib
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF

url = sys.argv[1].rstrip("/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")


def check(condition, message):
    if not condition:
        print("FAILED:", message, file=sys.stderr)
        sys.exit(1)


def get(path):
    with urllib.request.urlopen(url + path) as r:
        return r.read()


def ckan(action, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return json.loads(get(f"/api/3/action/{action}?{query}"))["result"]


names = ckan("package_list")
bin_dir = os.path.dirname(sys.executable)

# Croissant: every dataset validates.
loaded = 0
with tempfile.TemporaryDirectory() as tmp:
    for name in names:
        doc = json.loads(get(f"/dataset/{name}/croissant.jsonld"))
        path = os.path.join(tmp, f"{name}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        run = subprocess.run([os.path.join(bin_dir, "mlcroissant"), "validate", "--jsonld", path],
                             capture_output=True, text=True)
        check(run.returncode == 0 and "error" not in run.stderr.lower().replace("0 error", ""),
              f"mlcroissant validate {name}: {run.stderr}")
        check("warning" not in run.stderr.lower(), f"mlcroissant warns about {name}: {run.stderr}")
        # Open tables load row for row.
        package = ckan("package_show", id=name)
        if dict((e["key"], e["value"]) for e in package["extras"])["access_level"] != "open":
            continue
        rows = {r["id"]: r.get("rows") for r in package["resources"]}
        dataset = mlcroissant.Dataset(jsonld=path)
        for record_set in doc.get("recordSet", []):
            file_id = record_set["field"][0]["source"]["fileObject"]["@id"]
            records = list(dataset.records(record_set=record_set["@id"]))
            check(len(records) == rows[file_id],
                  f"{name}: {record_set['@id']} loads {len(records)} records, not {rows[file_id]}")
            fields = {f["@id"] for f in record_set["field"]}
            check(set(records[0].keys()) == fields, f"{name}: fields {records[0].keys()}")
            loaded += 1
check(loaded >= 3, f"only {loaded} open tables loaded")

# DCAT-AP 3: the catalogue, page by page.
seen, page_url, pages = [], "/catalog.jsonld", 0
while page_url:
    g = rdflib.Graph().parse(data=get(page_url), format="json-ld")
    pages += 1
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    check(len(catalogs) == 1, "one catalogue per page")
    for p in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        check(g.value(catalogs[0], p) is not None, f"catalogue lacks {p}")
    seen.extend(str(d) for d in g.objects(catalogs[0], DCAT.dataset))
    nxt = None
    for view in g.subjects(RDF.type, HYDRA.PagedCollection):
        nxt = g.value(view, HYDRA.next)
    page_url = str(nxt).replace(url, "") if nxt else None
check(len(seen) == len(set(seen)) == len(names), f"catalogue lists {len(seen)} of {len(names)}")

# Each dataset document: DCAT-AP 3's mandatory properties, and the files as they are.
for name in names:
    g = rdflib.Graph().parse(data=get(f"/dataset/{name}.jsonld"), format="json-ld")
    datasets = list(g.subjects(RDF.type, DCAT.Dataset))
    check(len(datasets) == 1, f"{name}: one dataset")
    d = datasets[0]
    check(g.value(d, DCTERMS.title) is not None and g.value(d, DCTERMS.description) is not None,
          f"{name}: title and description")
    check({t.language for t in g.objects(d, DCTERMS.title)} <= {"kk", "ru", "en"}, f"{name}: languages")
    for theme in g.objects(d, DCAT.theme):
        check(str(theme).startswith("http://publications.europa.eu/resource/authority/data-theme/"),
              f"{name}: theme {theme}")
    publisher = g.value(d, DCTERMS.publisher)
    check(publisher is not None and g.value(publisher, FOAF.name) is not None, f"{name}: publisher")
    for dist in g.objects(d, DCAT.distribution):
        check(g.value(dist, DCAT.accessURL) is not None, f"{name}: accessURL")
        download = str(g.value(dist, DCAT.downloadURL))
        size = g.value(dist, DCAT.byteSize)
        check(str(size.datatype).endswith("#nonNegativeInteger"), f"{name}: byteSize type")
        checksum = g.value(dist, SPDX.checksum)
        check(str(g.value(checksum, SPDX.algorithm)).endswith("checksumAlgorithm_sha256"), f"{name}: algorithm")
        package = ckan("package_show", id=name)
        level = dict((e["key"], e["value"]) for e in package["extras"])["access_level"]
        if level == "open":
            body = get(download.replace(url, ""))
            check(hashlib.sha256(body).hexdigest() == str(g.value(checksum, SPDX.checksumValue)),
                  f"{name}: checksum of {download}")
            check(len(body) == int(size), f"{name}: size of {download}")

print(f"mlcroissant {importlib.metadata.version('mlcroissant')}: "
      f"{len(names)} Croissant documents valid, {loaded} open tables loaded row for row; "
      f"DCAT-AP: {pages} catalogue pages, {len(names)} dataset documents checked")
