#!/usr/bin/python3
# Writes FILE.json for each FILE.cfg given: the properties the real Ice 3.7
# runtime (Debian python3-zeroc-ice) reads from it, so properties_test.go
# compares floe's parser with Ice itself. Run: /usr/bin/python3 gen_expected.py edge.cfg
import json
import sys

import Ice

for path in sys.argv[1:]:
    props = Ice.createProperties()
    props.load(path)
    got = props.getPropertiesForPrefix("")
    with open(path[: -len(".cfg")] + ".json", "w", encoding="utf-8") as out:
        json.dump(dict(sorted(got.items())), out, indent=1, ensure_ascii=False)
        out.write("\n")
