#!/usr/bin/env python3
"""The template grants each component exactly the bucket areas its code touches.

The key layout lives in one place, shared/src/keys.rs: every key function builds its key under
one `Area`. This check derives, from the code, which areas each deployed component reads or
writes (the `keys::<function>` calls in functions/<name>/src and worker/src, plus the shared
modules they call), compares that with `AREAS` in keys.rs (the declared map), and with what
infra/template.yaml grants: S3 object actions on `${Bucket.Arn}/theaters/*/<area>/*`, a
`s3:ListBucket` limited to the same prefixes, and `S3_BUCKET` set exactly where an area is used.
Least privilege (nothing more) and nothing missing. Also fails when a component builds a bucket
key by hand (`"theaters/` outside keys.rs).

    python3 infra/check-keys.py [infra/template.yaml]
"""

import json
import pathlib
import re
import sys

from cfnlint.decode import decode

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS = ROOT / "shared/src/keys.rs"


def area_segments(source):
    """`Area::Documents` → `documents`, from the `segment` match in keys.rs."""
    return {v: seg for v, seg in re.findall(r'Area::(\w+) => "([a-z_]+)"', source)}


def key_functions(source, segments):
    """Every `pub fn` of keys.rs that builds a key → the area segment it builds under."""
    out = {}
    for m in re.finditer(r"pub fn (\w+)\(", source):
        body = source[m.end():]
        body = body[: body.find("\n}\n")]
        areas = set(re.findall(r"Area::(\w+)", body))
        if len(areas) == 1:
            out[m.group(1)] = segments[areas.pop()]
    return out


def declared(source):
    """The `AREAS` table: component → set of segments."""
    table = source[source.index("pub const AREAS"):]
    table = table[: table.index("];")]
    segments = area_segments(source)
    return {
        name: {segments[a] for a in re.findall(r"Area::(\w+)", areas)}
        for name, areas in re.findall(r'\(\s*"(\w+)",\s*&\[([^\]]*)\],?\s*\)', table)
    }


def used_by_code(directory, functions):
    used = set()
    hand_made = []
    for path in sorted(directory.rglob("*.rs")):
        text = path.read_text()
        for name in re.findall(r"keys::(\w+)", text):
            if name in functions:
                used.add(functions[name])
        if '"theaters/' in text:
            hand_made.append(str(path.relative_to(ROOT)))
    return used, hand_made


def sub_text(value):
    if isinstance(value, dict) and "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return sub if isinstance(sub, str) else sub[0]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}" if isinstance(value["Fn::GetAtt"], list) else "${" + value["Fn::GetAtt"] + "}"
    return json.dumps(value)


def grants(statements):
    """(object prefixes, list prefixes) granted on the bucket by `statements`."""
    objects, listing = set(), set()
    for st in statements:
        if st.get("Effect") != "Allow":
            continue
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        texts = [sub_text(r) for r in resources]
        if any(a.startswith("s3:") and a != "s3:ListBucket" for a in actions):
            for t in texts:
                if "Bucket" in t:
                    objects.add(t.replace("${Bucket.Arn}/", "", 1))
        if "s3:ListBucket" in actions:
            cond = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix", ["<any>"])
            listing.update(cond if isinstance(cond, list) else [cond])
    return objects, listing


def main():
    template_path = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "infra/template.yaml")
    template, matches = decode(template_path)
    if matches:
        sys.exit(f"{template_path} does not parse: {matches}")
    source = KEYS.read_text()
    segments = area_segments(source)
    functions = key_functions(source, segments)
    table = declared(source)
    failures = []
    if not functions:
        failures.append("no key functions found in shared/src/keys.rs")

    _, shared_hand = used_by_code(ROOT / "shared/src", functions)
    shared_hand = [p for p in shared_hand if not p.endswith("keys.rs")]
    failures += [f"{p} builds a bucket key by hand; use shared::keys" for p in shared_hand]

    components = {}
    for crate in sorted((ROOT / "functions").iterdir()):
        if (crate / "src/main.rs").exists() and crate.name != "gateway":
            components[crate.name] = crate / "src"
    components["worker"] = ROOT / "worker/src"

    deployed = {}
    resources = template["Resources"]
    for name, res in resources.items():
        if res["Type"] == "AWS::Serverless::Function":
            binary = res.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
            props = res["Properties"]
            env = props.get("Environment", {}).get("Variables", {})
            statements = []
            for policy in props.get("Policies", []):
                if isinstance(policy, dict) and "Statement" in policy:
                    statements += policy["Statement"]
            deployed[binary] = (name, "S3_BUCKET" in env, grants(statements))
    worker_role = resources.get("WorkerTaskRole", {}).get("Properties", {})
    statements = [s for p in worker_role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    worker_env = [
        e["Name"]
        for c in resources.get("WorkerTask", {}).get("Properties", {}).get("ContainerDefinitions", [])
        for e in c.get("Environment", [])
    ]
    deployed["worker"] = ("WorkerTaskRole", "S3_BUCKET" in worker_env, grants(statements))

    for component, src in components.items():
        used, hand = used_by_code(src, functions)
        failures += [f"{p} builds a bucket key by hand; use shared::keys" for p in hand]
        want = table.get(component)
        if want is None:
            failures.append(f"{component}: missing from AREAS in shared/src/keys.rs")
            want = used
        if used != want:
            failures.append(
                f"{component}: its code uses areas {sorted(used)} but AREAS declares {sorted(want)}"
            )
        if component not in deployed:
            failures.append(f"{component}: no function in the template deploys it")
            continue
        resource, has_bucket, (objects, listing) = deployed[component]
        expected = {f"theaters/*/{seg}/*" for seg in used}
        if objects != expected:
            failures.append(
                f"{resource}: grants S3 objects {sorted(objects) or 'none'}, "
                f"the code needs exactly {sorted(expected) or 'none'}"
            )
        if listing and listing != expected:
            failures.append(
                f"{resource}: ListBucket on {sorted(listing)}, expected {sorted(expected)}"
            )
        if has_bucket != bool(used):
            failures.append(
                f"{resource}: S3_BUCKET is {'set' if has_bucket else 'missing'} "
                f"but the code {'uses' if used else 'uses no'} bucket areas"
            )
    for binary, (resource, _, _) in deployed.items():
        if binary not in components:
            failures.append(f"{resource}: deploys {binary!r}, which is no component in the code")

    if failures:
        sys.exit("template/code key layout mismatch:\n  " + "\n  ".join(failures))
    summary = ", ".join(
        f"{c}: {' '.join(sorted(table.get(c, []))) or '-'}" for c in components
    )
    print(f"bucket areas match the code and the template ({summary})")


if __name__ == "__main__":
    main()
