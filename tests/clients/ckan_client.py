"""The CKAN client and tools, unchanged, against a running Senim with demo data.

    python3 tests/clients/ckan_client.py http://127.0.0.1:PORT

Uses `ckanapi` (PyPI) as portals and harvesters do: the Python client by POST
and by GET, its command line `dump`, and a harvester's paging by `id asc`.
Exits non-zero with the first difference it finds.
"""

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile

import ckanapi

url = sys.argv[1].rstrip("/")
ckan = ckanapi.RemoteCKAN(url, user_agent="senim-client-tests")
ckan_get = ckanapi.RemoteCKAN(url, user_agent="senim-client-tests", get_only=True)


def check(condition, message):
    if not condition:
        print("FAILED:", message, file=sys.stderr)
        sys.exit(1)


status = ckan.action.status_show()
check(status["ckan_version"].startswith("2."), f"status_show: {status}")

names = ckan.action.package_list()
check(len(names) >= 12, f"package_list gives the demo's datasets: {names}")

# Every dataset shows, with CKAN's keys.
for name in names:
    pkg = ckan.action.package_show(id=name)
    for key in ("id", "name", "title", "notes", "license_id", "organization",
                "owner_org", "tags", "resources", "metadata_modified", "extras"):
        check(key in pkg, f"package_show {name} lacks {key}")
    for res in pkg["resources"]:
        shown = ckan.action.resource_show(id=res["id"])
        check(shown["package_id"] == pkg["id"], f"resource_show {res['id']}")

# Search: everything, by POST and by GET, with facets.
everything = ckan.action.package_search(
    q="*:*", rows=1000, **{"facet.field": ["organization", "res_format", "license_id", "tags", "groups"]})
check(everything["count"] == len(names), f"count {everything['count']} != {len(names)}")
check(set(p["name"] for p in everything["results"]) == set(names), "search and list differ")
by_get = ckan_get.action.package_search(q="*:*", rows=1000, **{"facet.field": '["organization"]'})
check(by_get["count"] == len(names), "GET search differs")
orgs = everything["search_facets"]["organization"]["items"]
check(sum(o["count"] for o in orgs) == len(names), f"organisation facet: {orgs}")

# Filtering by each organisation finds what organization_show counts.
for org_name in ckan.action.organization_list():
    org = ckan.action.organization_show(id=org_name)
    found = ckan.action.package_search(fq=f"organization:{org_name}", rows=0)
    check(found["count"] == org["package_count"], f"organisation {org_name}")

# Full text in three languages.
for word in ("hospital", "больница", "аурухана"):
    found = ckan.action.package_search(q=word)
    print(f"q={word}: {found['count']} datasets")

# A harvester's gather stage: pages by id, until an empty page.
start, seen = 0, []
while True:
    page = ckan_get.action.package_search(rows=5, start=start, sort="id asc")["results"]
    if not page:
        break
    seen.extend(p["id"] for p in page)
    start += 5
check(seen == sorted(seen) and len(seen) == len(set(seen)) == len(names), "id asc paging")

# Errors arrive as ckanapi's exceptions.
for call, exception in (
    (lambda: ckan.action.package_show(id="no-such-dataset"), ckanapi.NotFound),
    (lambda: ckan.action.package_search(q="colour:red"), ckanapi.SearchQueryError),
    (lambda: ckan.action.package_search(rows=-1), ckanapi.ValidationError),
):
    try:
        call()
        check(False, f"expected {exception.__name__}")
    except exception:
        pass

# The command line's dump, as a mirror would run it.
with tempfile.NamedTemporaryFile(suffix=".jsonl") as out:
    # Its workers are `ckanapi` processes found on the PATH.
    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run(["ckanapi", "dump", "datasets", "--all", "-q", "-O", out.name, "-r", url],
                   check=True, env=env)
    dumped = [json.loads(line) for line in open(out.name, encoding="utf-8")]
check(sorted(d["id"] for d in dumped) == sorted(names), "ckanapi dump datasets --all")

print(f"ckanapi {importlib.metadata.version('ckanapi')}: {len(names)} datasets listed, shown, searched, filtered, paged and dumped")
