"""Extract human labels and units of the Battery Pass SAMM model v1.2.0 into the shipped data.

Offline, one-off: reads the model's .ttl files from a local checkout of
batterypass/BatteryPassDataModel and the SAMM unit catalogue 2.1.0 (eclipse-esmf
esmf-semantic-aspect-meta-model, samm/unit/2.1.0/units.ttl), then

- writes ``label = ...`` and ``unit = ...`` after each ``name = ...`` line of
  src/urbanmine/data/passport/battery-pass-v1.2.toml (nothing else in that file changes), and
- writes src/urbanmine/data/passport/battery-pass-v1.2-labels.toml: aspect titles, labels and units
  of every other property of the model (entity members such as ``lastUpdate``), and enumeration
  values in words.

Usage: .venv/bin/python tools/samm_labels.py MODEL_CHECKOUT UNITS_TTL COMMIT

Rules (also written into the labels file):
- label: the property's ``samm:preferredName`` split into words, sentence case
  (``ManufacturerIdentification`` -> "Manufacturer identification"); a property without one: its
  name in words (``batteryMass`` -> "Battery mass"); ``LABEL_FIXES`` below where the name is an
  abbreviation, a sentence, a typo or unreadable when split.
- unit: the ``samm-c:unit`` of the property's characteristic (through ``samm-c:baseCharacteristic``
  of a Trait); a SAMM catalogue unit by its ``samm:symbol`` (its ``samm:preferredName`` in the plural
  where it has none: "cycles"); a unit the model defines itself by ``UNIT_FIXES``.
- enumeration values: ``ENUM_WORDS`` where the model's description says them in words, otherwise
  the value split into words, sentence case.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from urbanmine.passport.labels import words

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "src/urbanmine/data/passport/battery-pass-v1.2.toml"
LABELS = ROOT / "src/urbanmine/data/passport/battery-pass-v1.2-labels.toml"

LABEL_FIXES = {
    "stateOfCharge": "State of charge",  # preferredName "SoC"
    "stateOfCertifiedEnergy": "State of certified energy",  # preferredName "SOCE"
    "negativeEvent": "Negative event",  # preferredName is a sentence
    "componentId": "Component identifier",  # preferredName "SubstanceId" on a component's id
    "warrentyPeriod": "Warranty period",  # model typo
    "batteryTechicalProperties": "Battery technical properties",  # model typo
    "thirdPartyAussurances": "Third-party assurances",  # model typo
    "supplyChainIndicies": "Supply chain indices",  # model typo
    "remainingEnergyalue": "Remaining energy value",  # model typo
    "roundTripEfficiencyat50PerCentCycleLife": "Round-trip efficiency at 50 % of cycle life",
    "cRate": "C-rate",
    "cRateLifeCycleTest": "C-rate of the life cycle test",
    "atSoC": "At state of charge",
    "rPCLastUpdated": "Last update",
    "currentSelfDischargingRateEntity": "Current self-discharging rate",
    "evolutionOfSelfDischargeEntityValue": "Evolution of self-discharge",
    "emailAddress": "E-mail address",
    "emailAddressOfSupplier": "E-mail address of supplier",
    "roundtripEfficiency": "Round-trip efficiency",
    "mimeType": "MIME type",
    "preConsumerShare": "Pre-consumer share",
    "postConsumerShare": "Post-consumer share",
    "isCriticalRawMaterial": "Critical raw material",
    "timeExtremeHighTemp": "Time at extreme high temperature",
    "timeExtremeLowTemp": "Time at extreme low temperature",
    "timeExtremeHighTempCharging": "Time charging at extreme high temperature",
    "timeExtremeLowTempCharging": "Time charging at extreme low temperature",
}
"""Labels the model's own names do not give in readable words; the comment says why."""

UNIT_FIXES = {
    "kilogramperkilowatthour": "kg CO2e/kWh",  # :KilogramPerKilowattHour samm:commonCode
    "kilogramm": "kg CO2e",  # symbol "kg", preferredName "Kilogramm Co2 Equivalent"
    "C": "C",  # symbol "C" (C-rate)
}
"""Units the model defines itself (lower-case match; the model refers to
``:kilogramperkilowatthour`` and defines ``:KilogramPerKilowattHour``)."""

ENUM_WORDS = {
    # batteryCategory: the model's description ("LMT battery, electric vehicle battery, stationary or
    # other industrial battery >2kWh") and Regulation (EU) 2023/1542 Art. 3(11), (13), (14).
    ("batteryCategory", "lmt"): "LMT battery",
    ("batteryCategory", "ev"): "Electric vehicle battery",
    ("batteryCategory", "industrial"): "Industrial battery",
    ("batteryCategory", "stationary"): "Stationary battery energy storage",
    ("labelingSubject", "CarbonFootPrint"): "Carbon footprint",
    ("documentType", "Model3D"): "3D model",
}


# ---------------------------------------------------------------- a small Turtle reader

TOKEN = re.compile(
    r"""\s+|#[^\n]*|(?P<iri><[^>]*>)|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"(?:@[A-Za-z-]+|\^\^[\w:-]+)?"
    r"|(?P<punct>[;,.()\[\]])(?=\s|$|[;,()\[\]])"
    r"""|(?P<name>[^\s;,()\[\]"']+?)(?=[\s;,()\[\]]|\.\s|\.$)"""
)


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read Turtle at {text[pos : pos + 40]!r}")
        pos = m.end()
        for kind in ("iri", "str", "punct", "name"):
            if m.group(kind) is not None:
                value = m.group(kind)
                if kind == "str":
                    value = (
                        value[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
                    )
                out.append((kind, value))
                break
    return out


class Reader:
    def __init__(self, toks: list[tuple[str, str]]) -> None:
        self.toks, self.i = toks, 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self) -> tuple[str, str]:
        self.i += 1
        return self.toks[self.i - 1]

    def obj(self) -> Any:
        kind, value = self.take()
        if value == "(" and kind == "punct":
            items = []
            while self.peek() != ("punct", ")"):
                items.append(self.obj())
            self.take()
            return items
        if value == "[" and kind == "punct":
            node = self.pairs("]")
            self.take()
            return node
        return value

    def pairs(self, end: str) -> dict[str, list[Any]]:
        node: dict[str, list[Any]] = {}
        while self.peek() != ("punct", end):
            pred = self.take()[1]
            node.setdefault(pred, []).append(self.obj())
            while self.peek() == ("punct", ","):
                self.take()
                node[pred].append(self.obj())
            if self.peek() == ("punct", ";"):
                self.take()
        return node

    def statements(self) -> dict[str, dict[str, list[Any]]]:
        graph: dict[str, dict[str, list[Any]]] = {}
        while self.i < len(self.toks):
            subject = self.take()[1]
            if subject == "@prefix":
                self.take(), self.take(), self.take()
                continue
            for pred, objs in self.pairs(".").items():
                graph.setdefault(subject, {}).setdefault(pred, []).extend(objs)
            self.take()
        return graph


def read_graph(text: str) -> dict[str, dict[str, list[Any]]]:
    return Reader(tokens(text)).statements()


# ---------------------------------------------------------------- labels and units


def first(node: dict[str, list[Any]], pred: str) -> Any:
    return (node.get(pred) or [None])[0]


def characteristic_chain(graph: dict[str, Any], prop: str) -> list[dict[str, list[Any]]]:
    chain, name = [], first(graph.get(prop, {}), "samm:characteristic")
    while isinstance(name, str) and name in graph:
        chain.append(graph[name])
        name = first(graph[name], "samm-c:baseCharacteristic")
    return chain


def unit_text(ref: str | None, units: dict[str, Any]) -> str:
    if ref is None:
        return ""
    if ref.startswith("unit:"):
        unit = units[ref]
        symbol = first(unit, "samm:symbol")
        return symbol if symbol else first(unit, "samm:preferredName") + "s"
    return UNIT_FIXES[ref.removeprefix(":").lower() if ref != ":C" else "C"]


def describe(graph: dict[str, Any], units: dict[str, Any], prop: str) -> dict[str, Any]:
    name = prop.removeprefix(":")
    preferred = first(graph[prop], "samm:preferredName")
    label = LABEL_FIXES.get(name) or words(preferred or name)
    chain = characteristic_chain(graph, prop)
    unit = next((first(c, "samm-c:unit") for c in chain if first(c, "samm-c:unit")), None)
    values = next((first(c, "samm-c:values") for c in chain if first(c, "samm-c:values")), None)
    entity = next((first(c, "samm:dataType") for c in chain if first(c, "samm:dataType")), None)
    members = []
    if isinstance(entity, str) and entity in graph:
        for item in first(graph[entity], "samm:properties") or []:
            members.append(item if isinstance(item, str) else first(item, "samm:property"))
    return {
        "name": name,
        "label": label,
        "unit": unit_text(unit, units),
        "values": list(dict.fromkeys(values or [])),
        "members": members,
    }


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(model_dir: str, units_ttl: str, commit: str) -> None:
    aspects: dict[str, str] = {}  # aspect -> DIN DKE SPEC 99100 chapter, the order of the page
    units = read_graph(Path(units_ttl).read_text(encoding="utf-8"))
    props: dict[str, dict[str, Any]] = {}
    for ttl in sorted(Path(model_dir).glob("BatteryPass/io.BatteryPass.*/1.2.0/*.ttl")):
        text = ttl.read_text(encoding="utf-8")
        graph = read_graph(text)
        chapters = re.findall(r"chapter reference:\s*(?:\\n)*\s*(\d\.\d)", text)
        for subject, node in graph.items():
            if "samm:Aspect" in node.get("a", []):
                aspects[subject.removeprefix(":")] = Counter(chapters).most_common(1)[0][0]
            if "samm:Property" not in node.get("a", []):
                continue
            d = describe(graph, units, subject)
            seen = props.setdefault(subject, d)
            if (seen["label"], seen["unit"], seen["values"]) != (
                d["label"],
                d["unit"],
                d["values"],
            ):
                raise ValueError(f"{subject}: two files give different labels, units or values")

    catalogue_text = CATALOGUE.read_text(encoding="utf-8")
    fields = set(re.findall(r'^name = "(\w+)"$', catalogue_text, flags=re.M))
    missing = [f for f in fields if f":{f}" not in props]
    if missing:
        raise ValueError(f"catalogue fields not in the model: {missing}")

    def insert(m: re.Match[str]) -> str:
        d = props[f":{m.group(1)}"]
        return f"{m.group(0)}\nlabel = {toml_str(d['label'])}\nunit = {toml_str(d['unit'])}"

    catalogue_text = re.sub(r'^(?:label|unit) = "[^"\n]*"\n', "", catalogue_text, flags=re.M)
    CATALOGUE.write_text(
        re.sub(r'^name = "(\w+)"$', insert, catalogue_text, flags=re.M), encoding="utf-8"
    )

    lines = [
        "# Human labels and units of the Battery Pass SAMM model v1.2.0 for the properties that are not",
        "# catalogue fields (battery-pass-v1.2.toml carries the fields' own label and unit), aspect titles,",
        "# and enumeration values in words. Written by tools/samm_labels.py from the model's .ttl files;",
        "# the rules are in [meta].",
        "",
        "[meta]",
        f"source = {toml_str(f'batterypass/BatteryPassDataModel commit {commit}, BatteryPass/io.BatteryPass.*/1.2.0/*.ttl; SAMM unit catalogue 2.1.0 (eclipse-esmf/esmf-semantic-aspect-meta-model, samm/unit/2.1.0/units.ttl)')}",
        'label_rule = "samm:preferredName in words, sentence case; else the property name in words; fixed by hand where the name is an abbreviation (SoC, SOCE), a sentence, a model typo (warrenty, Techical, Aussurances, Indicies) or unreadable split (roundTripEfficiencyat50PerCentCycleLife)"',
        "unit_rule = \"samm-c:unit of the property's characteristic: a SAMM catalogue unit by its samm:symbol (its preferredName in the plural where it has none); the model's own units: :KilogramPerKilowattHour by its samm:commonCode kg CO2e/kWh, :kilogramm (preferredName Kilogramm Co2 Equivalent, symbol kg) as kg CO2e, :C by its symbol C\"",
        'enumeration_rule = "the value in words, sentence case; batteryCategory in the words of the model\'s description and Regulation (EU) 2023/1542 Art. 3(11), (13), (14)"',
        "",
        "# in the order of their DIN DKE SPEC 99100 chapters (the model's 'chapter reference'), 6.1-6.7",
        "[aspect]",
    ]
    lines += [f"{a} = {toml_str(words(a))}" for a in sorted(aspects, key=aspects.__getitem__)]
    lines.append("")
    for d in sorted(props.values(), key=lambda d: d["name"]):
        if d["name"] in fields:
            continue
        lines += [
            f"[property.{d['name']}]",
            f"label = {toml_str(d['label'])}",
            f"unit = {toml_str(d['unit'])}",
            "",
        ]
    for d in sorted(props.values(), key=lambda d: d["name"]):
        if d["values"]:
            lines.append(f"[enumeration.{d['name']}]")
            for v in d["values"]:
                lines.append(
                    f"{toml_str(v)} = {toml_str(ENUM_WORDS.get((d['name'], v)) or words(v))}"
                )
            lines.append("")
    LABELS.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import tomllib,sys; [tomllib.load(open(p,'rb')) for p in sys.argv[1:]]",
            str(CATALOGUE),
            str(LABELS),
        ],
        check=True,
    )
